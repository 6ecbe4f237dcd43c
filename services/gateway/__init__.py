"""The HTTP/JSON gateway: web and mobile clients in front of the gRPC services (stateless, no database)."""
