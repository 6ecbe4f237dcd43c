"""The `oms` command line and the developer tools (codegen, load, trace, audit verify)."""
