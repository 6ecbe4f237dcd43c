"""Inventory as seen from orders: Reserve, ReserveMany, Release, Confirm and MoveReservation of inventory.v1, and
the stock levels routing reads, through oms_client, with its refusals told apart from its outages."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import grpc
import oms_client
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2

from services.orders.application.channel_ports import StockWork
from services.orders.application.stock_sync import InventoryUnavailable, StockRefused
from services.orders.domain.routing import StockView
from shared.kernel.errors import InvalidArgument

# Refusals that another try will not change; anything else (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
# RESOURCE_EXHAUSTED, INTERNAL) is tried again later.
_FINAL = {
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.PERMISSION_DENIED,
}


_LIVE = {inventory_pb2.RESERVATION_STATUS_HELD, inventory_pb2.RESERVATION_STATUS_COMMITTED}


def _translated(error: oms_client.OmsRpcError) -> Exception:
    if error.code in _FINAL:
        detail = ", ".join(f"{k}={v}" for k, v in sorted(error.metadata.items())) or error.message
        return StockRefused(error.reason, detail)
    return InventoryUnavailable(str(error))


def _refused(refusal: inventory_pb2.ReserveRefusal) -> StockRefused:
    """One order's refusal in a ReserveMany, told as Reserve's error for it would be."""
    detail = ", ".join(f"{k}={v}" for k, v in sorted(refusal.metadata.items())) or refusal.message
    return StockRefused(refusal.reason, detail)


class GrpcInventory:
    def __init__(self, client: oms_client.ServiceClient) -> None:
        self._client = client
        # Warehouse ids by code as last listed: routing speaks codes, inventory's commands take ids (a code
        # keeps its id, UpsertWarehouse updates by code).
        self._warehouse_ids: dict[str, str] = {}

    async def reserve_many(
        self, request_id: str, orders: Sequence[StockWork], ttl_seconds: int
    ) -> list[str | StockRefused | InventoryUnavailable]:
        request = inventory_pb2.ReserveManyRequest(
            request_id=request_id,
            orders=[
                inventory_pb2.ReserveManyItem(
                    order_id=order.order_id,
                    lines=[inventory_pb2.ReserveLine(sku=sku, quantity=quantity) for sku, quantity in order.lines],
                    ttl_seconds=ttl_seconds,
                    shipping_province=order.shipping_province,
                )
                for order in orders
            ],
        )
        try:
            reply = await self._client.ReserveMany(request)
        except oms_client.OmsRpcError as error:
            raise _translated(error) from error
        return [
            result.reservation.reservation_id
            if result.WhichOneof("outcome") == "reservation"
            else _refused(result.refusal)
            for result in reply.results
        ]

    async def release(self, order_id: str, reason: str) -> None:
        request = inventory_pb2.ReleaseRequest(
            request_id=f"{order_id}:channel-release", order_id=order_id, reason=reason
        )
        try:
            await self._client.Release(request)
        except oms_client.OmsRpcError as error:
            raise _translated(error) from error

    async def confirm(self, order_id: str) -> None:
        """The order shipped: its reservation becomes shipped stock (a repeat returns it unchanged)."""
        request = inventory_pb2.ConfirmRequest(request_id=f"{order_id}:ship-confirm", order_id=order_id)
        try:
            await self._client.Confirm(request)
        except oms_client.OmsRpcError as error:
            raise _translated(error) from error

    async def move_hold(
        self, request_id: str, order_id: str, sku: str, from_warehouse: str, to_warehouse: str, reason: str
    ) -> None:
        try:
            if not {from_warehouse, to_warehouse} <= self._warehouse_ids.keys():
                await self._warehouses()
            # A code still unknown (routing's codes come from inventory's own listing) is refused as bad input.
            request = inventory_pb2.MoveReservationRequest(
                request_id=request_id,
                order_id=order_id,
                sku=sku,
                from_warehouse_id=self._warehouse_ids.get(from_warehouse, ""),
                to_warehouse_id=self._warehouse_ids.get(to_warehouse, ""),
                reason=reason,
            )
            await self._client.MoveReservation(request)
        except oms_client.OmsRpcError as error:
            raise _translated(error) from error

    async def lapsed_hold(self, order_id: str) -> str:
        try:
            found = await self._client.ListReservations(inventory_pb2.ListReservationsRequest(order_id=order_id))
        except oms_client.OmsRpcError as error:
            raise _translated(error) from error
        if not found.reservations:
            return "no reservation"
        if any(r.status in _LIVE for r in found.reservations):
            return ""
        names = sorted({inventory_pb2.ReservationStatus.Name(r.status) for r in found.reservations})
        return ", ".join(name.removeprefix("RESERVATION_STATUS_") for name in names)

    async def _warehouses(self) -> list[inventory_pb2.Warehouse]:
        """Every warehouse, all pages; remembers their ids by code."""
        found: list[inventory_pb2.Warehouse] = []
        token = ""
        while True:
            page = await self._client.ListWarehouses(
                inventory_pb2.ListWarehousesRequest(page=common_pb2.PageRequest(page_size=500, page_token=token))
            )
            found.extend(page.warehouses)
            token = page.page.next_page_token
            if not token:
                break
        self._warehouse_ids.update((warehouse.code, warehouse.warehouse_id) for warehouse in found)
        return found

    async def stock_view(self, order_id: str, skus: Sequence[str]) -> StockView:
        """Three reads: the warehouses (codes, which take work), free stock per warehouse of ``skus``, and
        the order's own live reservation."""
        try:
            warehouses = await self._warehouses()
            levels = await self._client.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=list(skus)))
            reservations = await self._client.ListReservations(inventory_pb2.ListReservationsRequest(order_id=order_id))
        except oms_client.OmsRpcError as error:
            raise _translated(error) from error
        codes = {warehouse.warehouse_id: warehouse.code for warehouse in warehouses}
        open_codes = [warehouse.code for warehouse in warehouses if not warehouse.disabled]
        available: dict[str, dict[str, int]] = {}
        for item in levels.items:
            available[item.sku] = {
                codes[level.warehouse_id]: level.available for level in item.warehouses if level.warehouse_id in codes
            }
        held: dict[str, tuple[str, int]] = {}
        for reservation in reservations.reservations:
            if reservation.status in _LIVE:
                for line in reservation.lines:
                    if line.warehouse_id in codes:
                        held[line.sku] = (codes[line.warehouse_id], line.quantity)
        return StockView(tuple(sorted(open_codes)), available, held)


class InventoryLink:
    """Connects to inventory on first use, through ``peer_client`` (the runtime's client of a peer, with this
    service's credentials, at settings.peer_address("inventory")). Until an address is configured there is
    no inventory: stock holds wait, nothing is lost."""

    def __init__(self, peer_client: Callable[[], oms_client.ServiceClient]) -> None:
        self._peer_client = peer_client
        self._port: GrpcInventory | None = None

    def __call__(self) -> GrpcInventory | None:
        if self._port is None:
            try:
                self._port = GrpcInventory(self._peer_client())
            except InvalidArgument:
                return None
        return self._port
