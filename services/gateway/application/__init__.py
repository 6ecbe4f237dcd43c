"""Use cases of the gateway: each calls the upstream services through ports."""
