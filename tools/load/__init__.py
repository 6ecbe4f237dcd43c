"""``oms load``: drives a running suite at an open-model arrival rate and checks it stayed correct."""
