"""The ``oms`` developer tool: the local stack (servers and service processes) and its command line."""
