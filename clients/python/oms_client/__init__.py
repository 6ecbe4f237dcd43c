"""Thin async clients of the order-management suite: default deadlines, retries of UNAVAILABLE, tracing,
and decoding of rich errors. The generated stubs are in the sibling package ``oms``.

    channel = oms_client.connect("127.0.0.1:50051")
    inventory = oms_client.ServiceClient.for_service(channel, "inventory")
    reservation = await inventory.Reserve(inventory_pb2.ReserveRequest(...))
"""

from oms_client.channel import connect, service_config
from oms_client.client import ServiceClient
from oms_client.errors import FieldViolation, OmsRpcError

__all__ = ["FieldViolation", "OmsRpcError", "ServiceClient", "connect", "service_config"]
