"""Generated from proto/ by `python -m tools.codegen`; never edit by hand."""
