"""Wires the customers service: settings, unit of work and the gRPC servicer."""

from __future__ import annotations

from oms.customers.v1 import customers_pb2_grpc

from services.customers.adapters.grpc_servicer import SERVICE_NAME, CustomersServicer
from services.customers.adapters.unit_of_work import SqlCustomersUnitOfWork
from shared.grpc import GrpcService, ServiceDefinition
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The customers service has no settings of its own yet beyond the shared ones."""


def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
    servicer = CustomersServicer(infra.unit_of_work(SqlCustomersUnitOfWork))
    return ServiceDefinition(
        name="customers",
        services=[GrpcService(customers_pb2_grpc.add_CustomersServiceServicer_to_server, servicer, SERVICE_NAME)],
    )
