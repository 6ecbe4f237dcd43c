"""The gateway's edges: FastAPI app, routers, pydantic schemas, gRPC upstream clients."""
