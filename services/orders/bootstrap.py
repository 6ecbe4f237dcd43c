"""Wires the orders service: settings, unit of work and the gRPC servicer."""

from __future__ import annotations

from oms.orders.v1 import orders_pb2_grpc

from services.orders.adapters.grpc_servicer import SERVICE_NAME, OrdersServicer
from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from shared.grpc import GrpcService, ServiceDefinition
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The orders service has no settings of its own yet beyond the shared ones."""


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    servicer = OrdersServicer(infra.unit_of_work(OrdersUnitOfWork))
    return ServiceDefinition(
        name="orders",
        services=[GrpcService(orders_pb2_grpc.add_OrdersServiceServicer_to_server, servicer, SERVICE_NAME)],
    )
