"""The refunds context's edges: PostgreSQL, the outbox, gRPC and the caller's identity."""
