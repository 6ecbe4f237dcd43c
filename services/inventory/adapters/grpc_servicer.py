"""The gRPC face of inventory: proto -> command -> handler -> proto, nothing else (errors map in the interceptor)."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from oms.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from opentelemetry import trace

from services.inventory.adapters import protos
from services.inventory.adapters.unit_of_work import InventoryUnitOfWork
from services.inventory.application import breaker, queries, reservations, stock
from services.inventory.application.commands import (
    AdjustStock,
    CommitReservation,
    ConfirmReservation,
    ListReservations,
    ListStockMovements,
    MoveReservation,
    OrderToReserve,
    ReceiveStock,
    ReleaseReservation,
    ReserveMany,
    ReserveStock,
    RestockReturn,
    ResumeSku,
    SetSafetyStock,
    StockChange,
    UpsertWarehouse,
)
from services.inventory.application.ports import Dependencies
from services.inventory.domain.model import RequestedLine
from shared.telemetry import attributes

SERVICE_NAME = inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name


def _tag_order(order_id: str) -> None:
    trace.get_current_span().set_attribute(attributes.ORDER_ID, order_id)


def _tag_sku(sku: str) -> None:
    trace.get_current_span().set_attribute(attributes.SKU, sku)


def _next_token(items: list, size: int, cursor: Callable[[object], str]) -> str:
    """The token of the next page when this one came back full (one extra row was asked for)."""
    return protos.page_token(cursor(items[size - 1])) if len(items) > size else ""


class InventoryServicer(inventory_pb2_grpc.InventoryServiceServicer):
    def __init__(self, unit_of_work: Callable[[], InventoryUnitOfWork], deps: Dependencies) -> None:
        self._uow = unit_of_work
        self._deps = deps

    async def UpsertWarehouse(
        self, request: inventory_pb2.UpsertWarehouseRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.UpsertWarehouseResponse:
        command = UpsertWarehouse(
            request.request_id, request.code, request.name, tuple(request.provinces), request.disabled
        )
        result = await stock.upsert_warehouse(command, self._uow(), self._deps)
        return inventory_pb2.UpsertWarehouseResponse(
            warehouse=protos.warehouse_out(result.warehouse), created=result.created
        )

    async def ListWarehouses(
        self, request: inventory_pb2.ListWarehousesRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ListWarehousesResponse:
        page = protos.page_in(request.page.page_size, request.page.page_token)
        found = list(await queries.list_warehouses(page, self._uow()))
        return inventory_pb2.ListWarehousesResponse(
            warehouses=[protos.warehouse_out(w) for w in found[: page.size]],
            page={"next_page_token": _next_token(found, page.size, lambda w: w.code)},
        )

    def _stock_change(self, result: StockChange) -> dict[str, inventory_pb2.StockLevel | inventory_pb2.StockMovement]:
        return {"stock": protos.level_out(result.stock), "movement": protos.movement_out(result.movement)}

    async def ReceiveStock(
        self, request: inventory_pb2.ReceiveStockRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ReceiveStockResponse:
        _tag_sku(request.sku)
        command = ReceiveStock(
            request.request_id, request.warehouse_id, request.sku, request.quantity, request.reference
        )
        result = await stock.receive_stock(command, self._uow(), self._deps)
        return inventory_pb2.ReceiveStockResponse(**self._stock_change(result))

    async def AdjustStock(
        self, request: inventory_pb2.AdjustStockRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.AdjustStockResponse:
        _tag_sku(request.sku)
        which = request.WhichOneof("change")
        command = AdjustStock(
            request.request_id,
            request.warehouse_id,
            request.sku,
            delta=request.delta if which == "delta" else None,
            set_on_hand=request.set_on_hand if which == "set_on_hand" else None,
            reason=request.reason,
        )
        result = await stock.adjust_stock(command, self._uow(), self._deps)
        return inventory_pb2.AdjustStockResponse(**self._stock_change(result))

    async def SetSafetyStock(
        self, request: inventory_pb2.SetSafetyStockRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.SetSafetyStockResponse:
        _tag_sku(request.sku)
        command = SetSafetyStock(request.request_id, request.warehouse_id, request.sku, request.safety_stock)
        result = await stock.set_safety_stock(command, self._uow(), self._deps)
        return inventory_pb2.SetSafetyStockResponse(**self._stock_change(result))

    async def RestockReturn(
        self, request: inventory_pb2.RestockReturnRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.RestockReturnResponse:
        _tag_sku(request.sku)
        _tag_order(request.order_id)
        command = RestockReturn(
            request.request_id,
            request.warehouse_id,
            request.sku,
            request.quantity,
            request.order_id,
            request.reference,
        )
        result = await stock.restock_return(command, self._uow(), self._deps)
        return inventory_pb2.RestockReturnResponse(**self._stock_change(result))

    async def GetAvailability(
        self, request: inventory_pb2.GetAvailabilityRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.GetAvailabilityResponse:
        result = await queries.get_availability(list(request.skus), self._uow())
        return inventory_pb2.GetAvailabilityResponse(items=[protos.availability_out(i) for i in result.items])

    async def Reserve(
        self, request: inventory_pb2.ReserveRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ReserveResponse:
        _tag_order(request.order_id)
        command = ReserveStock(
            request_id=request.request_id,
            order_id=request.order_id,
            lines=tuple(RequestedLine(line.sku, line.quantity) for line in request.lines),
            ttl_seconds=request.ttl_seconds,
            preferred_warehouse_id=request.preferred_warehouse_id,
            shipping_province=request.shipping_province,
        )
        result = await reservations.reserve_stock(command, self._uow(), self._deps)
        return inventory_pb2.ReserveResponse(
            reservation=protos.reservation_out(result.reservation), created=result.created
        )

    async def ReserveMany(
        self, request: inventory_pb2.ReserveManyRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ReserveManyResponse:
        command = ReserveMany(
            request_id=request.request_id,
            orders=tuple(
                OrderToReserve(
                    order_id=order.order_id,
                    lines=tuple(RequestedLine(line.sku, line.quantity) for line in order.lines),
                    ttl_seconds=order.ttl_seconds,
                    preferred_warehouse_id=order.preferred_warehouse_id,
                    shipping_province=order.shipping_province,
                )
                for order in request.orders
            ),
        )
        result = await reservations.reserve_many(command, self._uow(), self._deps)
        return inventory_pb2.ReserveManyResponse(results=[protos.reserve_outcome_out(r) for r in result.results])

    async def Commit(
        self, request: inventory_pb2.CommitRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.CommitResponse:
        _tag_order(request.order_id)
        command = CommitReservation(request.request_id, request.order_id)
        result = await reservations.commit_reservation(command, self._uow(), self._deps)
        return inventory_pb2.CommitResponse(reservation=protos.reservation_out(result.reservation))

    async def Confirm(
        self, request: inventory_pb2.ConfirmRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ConfirmResponse:
        _tag_order(request.order_id)
        command = ConfirmReservation(request.request_id, request.order_id)
        result = await reservations.confirm_reservation(command, self._uow(), self._deps)
        return inventory_pb2.ConfirmResponse(reservation=protos.reservation_out(result.reservation))

    async def Release(
        self, request: inventory_pb2.ReleaseRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ReleaseResponse:
        _tag_order(request.order_id)
        command = ReleaseReservation(request.request_id, request.order_id, request.reason)
        result = await reservations.release_reservation(command, self._uow(), self._deps)
        return inventory_pb2.ReleaseResponse(reservation=protos.reservation_out(result.reservation))

    async def MoveReservation(
        self, request: inventory_pb2.MoveReservationRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.MoveReservationResponse:
        _tag_order(request.order_id)
        _tag_sku(request.sku)
        command = MoveReservation(
            request.request_id,
            request.order_id,
            request.sku,
            request.from_warehouse_id,
            request.to_warehouse_id,
            request.reason,
        )
        result = await reservations.move_reservation(command, self._uow(), self._deps)
        return inventory_pb2.MoveReservationResponse(reservation=protos.reservation_out(result.reservation))

    async def ListReservations(
        self, request: inventory_pb2.ListReservationsRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ListReservationsResponse:
        page = protos.page_in(request.page.page_size, request.page.page_token)
        query = ListReservations(
            order_id=request.order_id,
            sku=request.sku,
            status=protos.reservation_status_in(request.status),
            page=page,
        )
        found = list(await queries.list_reservations(query, self._uow()))
        return inventory_pb2.ListReservationsResponse(
            reservations=[protos.reservation_out(r) for r in found[: page.size]],
            page={"next_page_token": _next_token(found, page.size, lambda r: r.reservation_id)},
        )

    async def ListStockMovements(
        self, request: inventory_pb2.ListStockMovementsRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ListStockMovementsResponse:
        page = protos.page_in(request.page.page_size, request.page.page_token)
        query = ListStockMovements(
            sku=request.sku, warehouse_id=request.warehouse_id, order_id=request.order_id, page=page
        )
        found = list(await queries.list_stock_movements(query, self._uow()))
        return inventory_pb2.ListStockMovementsResponse(
            movements=[protos.movement_out(m) for m in found[: page.size]],
            page={"next_page_token": _next_token(found, page.size, lambda m: m.movement_id)},
        )

    async def ResumeSku(
        self, request: inventory_pb2.ResumeSkuRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ResumeSkuResponse:
        _tag_sku(request.sku)
        command = ResumeSku(request.request_id, request.sku, request.note)
        result = await breaker.resume_sku(command, self._uow(), self._deps)
        return inventory_pb2.ResumeSkuResponse(status=protos.sku_status_out(result.status))

    async def Reconcile(
        self, request: inventory_pb2.ReconcileRequest, context: grpc.aio.ServicerContext
    ) -> inventory_pb2.ReconcileResponse:
        report = await breaker.reconcile_gate(self._uow(), self._deps)
        return inventory_pb2.ReconcileResponse(
            gate_enabled=report.gate_enabled,
            sold_out_skus=report.sold_out_skus,
            paused_skus=report.paused_skus,
            markers_set=report.markers_set,
            markers_removed=report.markers_removed,
        )
