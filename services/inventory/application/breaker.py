"""The circuit breaker (count failed reservations, pause, resume) and the reconciliation of gate markers."""

from __future__ import annotations

from services.inventory.application.commands import ReconcileReport, ResumeSku, SkuStatusResult
from services.inventory.application.ports import BreakerState, Dependencies, InventoryUnitOfWork, Marker
from services.inventory.domain import values
from services.inventory.domain.errors import SkuNotFound
from services.inventory.domain.events import SkuPaused, SkuResumed
from shared import metrics


async def record_shortage(sku: str, uow: InventoryUnitOfWork, deps: Dependencies) -> None:
    """Count a reservation of ``sku`` that failed for lack of stock, in its own short transaction.

    The SKU's control row is locked while the window is recomputed, so concurrent failures are all
    counted and only one of them trips the breaker; a SKU already paused is not counted again.
    Afterwards the gate learns what holds now: paused, and sold out when nothing at all is available
    (a shortfall of a large order does not close the SKU to small ones). The two are kept apart, so a
    paused SKU with stock is still told from one without.
    """
    epochs = await deps.gate.epochs([sku])
    tripped = already_paused = False
    available: int | None = None
    async with uow:
        now = deps.clock()
        state = await uow.controls.lock_breaker(sku)
        if state is not None and state.paused:
            already_paused = True
        elif state is not None:
            recent = deps.breaker.recent((*state.recent_failures, now), now)
            tripped = deps.breaker.trips(len(recent))
            await uow.controls.save_breaker(BreakerState(sku, tripped, now if tripped else None, recent), now)
            if tripped:
                uow.publish(SkuPaused(sku, len(recent), int(deps.breaker.window.total_seconds()), now))
        if deps.gate.enabled:
            available = await uow.stock.total_available(sku)
        await uow.commit()
    if tripped:
        metrics.record_breaker_trip()
    markers = {Marker.PAUSED} if tripped or already_paused else set()
    if available == 0:
        markers.add(Marker.SOLD_OUT)
    await deps.gate.mark(sku, markers, epochs.get(sku, 0))


async def resume_sku(cmd: ResumeSku, uow: InventoryUnitOfWork, deps: Dependencies) -> SkuStatusResult:
    """Lift a SKU's pause and forget its failures; resuming a running SKU changes nothing."""
    sku = values.sku(cmd.sku)
    note = values.text(cmd.note, "note", max_length=values.MAX_REASON_LENGTH)
    async with uow:
        if (previous := await uow.replay(cmd, SkuStatusResult)) is not None:
            return previous
        now = deps.clock()
        lifted = await uow.controls.resume(sku, now)
        status = await uow.controls.status(sku, deps.breaker, now)
        if status is None:
            raise SkuNotFound(sku)
        if lifted:
            uow.publish(SkuResumed(sku, note, now))
        result = SkuStatusResult(status)
        await uow.remember(cmd, result)
        await uow.commit()
    if lifted:
        await deps.gate.clear([sku], Marker.PAUSED)
    return result


async def reconcile_gate(uow: InventoryUnitOfWork, deps: Dependencies) -> ReconcileReport:
    """Recompute the gate's markers from the database.

    Candidates are read, their epochs taken, then re-read: a marker is only written for a SKU still
    sold out (or paused) after its epoch was taken, so a stock increase committed meanwhile wins. Sold
    out and paused are independent markers: a SKU may carry both.
    """
    if not deps.gate.enabled:
        return ReconcileReport(gate_enabled=False)
    async with uow:
        sold_out, paused = await uow.stock.sold_out_and_paused()
    candidates = sold_out | paused
    epochs = await deps.gate.epochs(candidates)
    if candidates:
        async with uow:
            still_sold_out, still_paused = await uow.stock.sold_out_and_paused(candidates)
        sold_out &= still_sold_out
        paused &= still_paused
    changes = await deps.gate.replace(sold_out, paused, epochs)
    return ReconcileReport(
        gate_enabled=True,
        sold_out_skus=len(sold_out),
        paused_skus=len(paused),
        markers_set=changes.markers_set,
        markers_removed=changes.markers_removed,
    )
