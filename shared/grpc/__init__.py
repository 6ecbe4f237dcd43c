"""gRPC building blocks: the error model on the wire, interceptors and the server bootstrap."""

from shared.grpc.server import GrpcService, ServiceDefinition

__all__ = ["GrpcService", "ServiceDefinition"]
