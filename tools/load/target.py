"""Where the load goes: the services of a running stack (from its stack.json, or given addresses) and the
transports that carry the orders (the saga's gRPC contract, or the gateway's HTTP routes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import grpc
import oms_client
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from shared.auth import Principal, TokenAuthority
from shared.kernel.ids import new_id
from tools.load.config import LoadConfigError
from tools.load.scenarios import REFUND_DESCRIPTION, CallFailed, IngestRecord, Placed, Refunded
from tools.oms.stack import SECRET_FILE, StackError, read_state

SUBJECT = "oms-load"

# What the run needs: the saga to place and cancel, the others to seed and to check.
REQUIRED_SERVICES = ("saga", "inventory", "pricing", "orders", "payments")


def parse_addresses(items: Iterable[str]) -> dict[str, str]:
    """``saga=127.0.0.1:50051`` pairs (repeatable option) into a mapping."""
    addresses: dict[str, str] = {}
    for index, item in enumerate(items):
        name, sep, address = item.partition("=")
        name, address = name.strip(), address.strip()
        if not sep or not name or not address or ":" not in address:
            raise LoadConfigError(f"address[{index}]", f"{item!r} is not SERVICE=HOST:PORT")
        addresses[name] = address
    return addresses


def _running_state(state_dir: Path) -> dict[str, Any]:
    try:
        state = read_state(state_dir)
    except StackError as exc:
        raise LoadConfigError("state_dir", str(exc)) from exc
    if state is None:
        raise LoadConfigError(
            "state_dir", f"no running stack is recorded in {state_dir} (start one with `oms up`, or give --address)"
        )
    if state.get("status") != "running":
        raise LoadConfigError("state_dir", f"the stack in {state_dir} is {state.get('status')!r}, not running")
    return state


def addresses_from_state(state_dir: Path) -> dict[str, str]:
    """Every service's gRPC address as ``oms up`` recorded it in ``<state_dir>/stack.json``."""
    services = _running_state(state_dir).get("services") or {}
    return {name: entry["grpc_address"] for name, entry in services.items() if entry.get("grpc_address")}


def gateway_from_state(state_dir: Path) -> str:
    """The base URL of the gateway of the stack recorded in ``state_dir``."""
    entry = (_running_state(state_dir).get("services") or {}).get("gateway") or {}
    if not entry.get("http_address"):
        raise LoadConfigError("via_gateway", f"the stack in {state_dir} runs no gateway")
    return f"http://{entry['http_address']}"


def check_services(addresses: Mapping[str, str]) -> None:
    missing = [name for name in REQUIRED_SERVICES if name not in addresses]
    if missing:
        raise LoadConfigError("address", f"no address for {', '.join(missing)} (needed to place and check orders)")


def secret_of_stack(state_dir: Path) -> str:
    """The token-signing secret of the local stack in ``state_dir`` (readable by its owner), or "" if none."""
    path = Path(state_dir) / SECRET_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise LoadConfigError("state_dir", f"cannot read the stack's token secret {path}: {exc}") from exc


class Credentials:
    """Who the tool calls as: a bearer token of the role, signed with the stack's secret; without a secret
    (a stack that does not demand tokens) the role is only declared, as the services then accept."""

    def __init__(self, secret: str = "") -> None:
        self._authority = TokenAuthority(secret) if secret else None
        self._cache: dict[str, tuple[tuple[str, str], ...]] = {}

    @staticmethod
    def subject(role: str) -> str:
        # One subject per role, as distinct people: the refunds service refuses an approval by the requester.
        return f"{SUBJECT}-{role}"

    def token(self, role: str) -> str:
        if self._authority is None:
            return ""
        return self._authority.issue(Principal(subject=self.subject(role), role=role))

    def metadata(self, role: str) -> tuple[tuple[str, str], ...]:
        if role not in self._cache:
            if self._authority is not None:
                self._cache[role] = (("authorization", f"Bearer {self.token(role)}"),)
            else:
                self._cache[role] = (("x-oms-subject", self.subject(role)), ("x-oms-role", role))
        return self._cache[role]


class Target:
    """One channel per service (tracing off: the sender's own spans would only cost CPU the run needs).

    The traffic and the reads call as ``service`` (as the gateway does for shoppers); the seeding as
    ``operations``, whose duty pricing and receiving stock are (services/*/permissions.yaml)."""

    def __init__(self, addresses: Mapping[str, str], credentials: Credentials | None = None) -> None:
        check_services(addresses)
        self.addresses = dict(addresses)
        self.credentials = credentials or Credentials()
        self._channels: dict[str, grpc.aio.Channel] = {}

    def client(self, service: str, timeout: float = 10.0, role: str = "service") -> oms_client.ServiceClient:
        if service not in self._channels:
            self._channels[service] = oms_client.connect(self.addresses[service], tracing=False)
        return oms_client.ServiceClient.for_service(
            self._channels[service], service, timeout=timeout, metadata=self.credentials.metadata(role)
        )

    async def close(self) -> None:
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            await channel.close()


def call_failed(error: oms_client.OmsRpcError) -> CallFailed:
    return CallFailed(error.code.name, error.reason, error.message)


class GrpcTransport:
    """Orders through SagaService.PlaceOrder / CancelOrder."""

    def __init__(self, target: Target) -> None:
        self._saga = target.client("saga")

    async def place(self, request: saga_pb2.PlaceOrderRequest, timeout: float) -> Placed:
        try:
            reply = await self._saga.PlaceOrder(request, timeout=timeout)
        except oms_client.OmsRpcError as error:
            raise call_failed(error) from None
        return Placed(
            reply.order_id, reply.saga.saga_id, reply.saga.customer_id, reply.total.amount_minor, reply.payment_id
        )

    async def cancel(self, request_id: str, order_id: str, reason: str, timeout: float) -> None:
        request = saga_pb2.CancelOrderRequest(request_id=request_id, order_id=order_id, reason=reason)
        try:
            await self._saga.CancelOrder(request, timeout=timeout)
        except oms_client.OmsRpcError as error:
            raise call_failed(error) from None

    async def close(self) -> None:
        """The channel belongs to the target."""


REFUND_END_STATES = frozenset({"COMPLETED", "FAILED", "REJECTED"})
REFUND_POLL_SECONDS = 0.1


class GrpcRefundDesk:
    """A partial refund as after-sales staff make it: customer service reads the order and requests the
    refund, a supervisor (another person) approves it, and the refund saga the approval starts pays it; the
    desk waits (polling GetRefund, bounded by the timeout) until it is COMPLETED, FAILED or REJECTED."""

    def __init__(self, target: Target) -> None:
        self._orders = target.client("orders")
        self._requester = target.client("refunds", role="customer_service")
        self._approver = target.client("refunds", role="cs_supervisor")
        self._reader = target.client("refunds")

    async def refund(self, order_id: str, payment_id: str, amount_minor: int, timeout: float) -> Refunded:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            order = (await self._orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order_id))).order
            currency = order.total.currency
            amount = max(1, min(amount_minor, order.total.amount_minor // 2))
            refund = (
                await self._requester.RequestRefund(
                    refunds_pb2.RequestRefundRequest(
                        request_id=new_id(),
                        order_id=order_id,
                        payment_id=payment_id,
                        kind=refunds_pb2.REFUND_KIND_PARTIAL,
                        reason=refunds_pb2.REFUND_REASON_PRICE_ADJUSTMENT,
                        order_type=refunds_pb2.ORDER_TYPE_REGULAR,
                        captured=order.total,
                        already_refunded=common_pb2.Money(amount_minor=0, currency=currency),
                        amount=common_pb2.Money(amount_minor=amount, currency=currency),
                        shipping_fee=order.shipping_fee,
                        description=REFUND_DESCRIPTION,
                    )
                )
            ).refund
            await self._approver.ApproveRefund(
                refunds_pb2.ApproveRefundRequest(request_id=new_id(), refund_id=refund.refund_id)
            )
            status = refunds_pb2.RefundStatus.Name(refund.status).removeprefix("REFUND_STATUS_")
            while status not in REFUND_END_STATES and loop.time() < deadline:
                await asyncio.sleep(REFUND_POLL_SECONDS)
                reply = await self._reader.GetRefund(refunds_pb2.GetRefundRequest(refund_id=refund.refund_id))
                status = refunds_pb2.RefundStatus.Name(reply.refund.status).removeprefix("REFUND_STATUS_")
        except oms_client.OmsRpcError as error:
            raise call_failed(error) from None
        return Refunded(refund.refund_id, refund.total.amount_minor, status)


RELEASE_NOTE = "oms load: the run's channel volume is expected"


class GrpcChannelDesk:
    """Channel orders through OrdersService.IngestChannelOrders, as the connectors deliver them (calling as
    ``service``); a channel the surge guard paused is released by ``operations``, whose duty that is."""

    def __init__(self, target: Target) -> None:
        self._orders = target.client("orders")
        self._operator = target.client("orders", role="operations")

    async def ingest(
        self, request_id: str, channel: str, records: list[bytes], timeout: float
    ) -> tuple[IngestRecord, ...]:
        request = orders_pb2.IngestChannelOrdersRequest(
            request_id=request_id, channel=orders_pb2.Channel.Value(channel), records=records
        )
        try:
            reply = await self._orders.IngestChannelOrders(request, timeout=timeout)
        except oms_client.OmsRpcError as error:
            raise call_failed(error) from None
        return tuple(
            IngestRecord(
                r.channel_order_id,
                orders_pb2.IngestOutcome.Name(r.outcome).removeprefix("INGEST_OUTCOME_"),
                r.order_id,
                r.reason,
            )
            for r in reply.results
        )

    async def release(self, channel: str, timeout: float) -> None:
        request = orders_pb2.ReleaseChannelSyncRequest(
            request_id=new_id(), channel=orders_pb2.Channel.Value(channel), note=RELEASE_NOTE
        )
        try:
            await self._operator.ReleaseChannelSync(request, timeout=timeout)
        except oms_client.OmsRpcError as error:
            raise call_failed(error) from None


# HTTP statuses of the gateway's problems and the gRPC code each stands for (services/gateway/domain/problems.py).
_HTTP_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",
    422: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    502: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# 409s that are not decisions: the saga has not ended yet.
_HTTP_OPEN_REASONS = frozenset({"SAGA_IN_PROGRESS", "CONTENTION"})


def place_body(request: saga_pb2.PlaceOrderRequest) -> dict[str, Any]:
    """The gateway's JSON body (POST /v1/orders) for a PlaceOrder request."""

    def address(a: Any) -> dict[str, str]:
        return {
            "recipient": a.recipient,
            "phone": a.phone,
            "country": a.country,
            "province": a.province,
            "city": a.city,
            "district": a.district,
            "detail": a.detail,
        }

    return {
        "customer": {
            "name": request.customer.name,
            "phone": request.customer.phone,
            "address": address(request.customer.address),
        },
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in request.lines],
        "shipping_address": address(request.shipping_address),
        "payment_method": {"provider": request.payment_method.provider, "token": request.payment_method.token},
        "channel": request.channel.lower(),
        "order_type": "regular",
        "buyer_remark": request.buyer_remark,
        "currency": request.currency,
    }


def http_failure(status: int, body: bytes) -> CallFailed:
    """A gateway problem+json answer as a CallFailed with the gRPC code it stands for."""
    reason, detail = "", ""
    try:
        problem = json.loads(body)
        if isinstance(problem, dict):
            reason, detail = str(problem.get("reason", "")), str(problem.get("detail", ""))
    except ValueError:
        detail = body[:200].decode("utf-8", "replace")
    code = _HTTP_CODES.get(status, "UNKNOWN" if status >= 500 else "INVALID_ARGUMENT")
    if status == 409 and reason in _HTTP_OPEN_REASONS:
        code = "ABORTED"
    return CallFailed(code, reason or f"HTTP_{status}", detail)


class GatewayTransport:
    """Orders through the gateway: POST /v1/orders and POST /v1/orders/{id}/cancel with a bearer token.

    Needs ``httpx`` (a dev dependency of the project), imported only when this transport is chosen."""

    def __init__(self, base_url: str, token: str, *, max_connections: int = 256) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise LoadConfigError("via_gateway", "needs the httpx package (pip install httpx)") from exc
        if not token:
            raise LoadConfigError("gateway_token", "a bearer token is required with --via-gateway")
        self._httpx = httpx
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def _post(self, path: str, key: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        try:
            response = await self._client.post(path, json=body, headers={"Idempotency-Key": key}, timeout=timeout)
        except self._httpx.TimeoutException as exc:
            raise CallFailed("DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED", str(exc)) from None
        except self._httpx.TransportError as exc:
            raise CallFailed("UNAVAILABLE", "UNAVAILABLE", str(exc)) from None
        if response.status_code >= 300:
            raise http_failure(response.status_code, response.content)
        answer: dict[str, Any] = response.json()
        return answer

    async def place(self, request: saga_pb2.PlaceOrderRequest, timeout: float) -> Placed:
        answer = await self._post("/v1/orders", request.request_id, place_body(request), timeout)
        saga = answer.get("saga") or {}
        total = answer.get("total") or {}
        return Placed(
            answer["order_id"],
            saga.get("saga_id", ""),
            saga.get("customer_id", ""),
            int(total.get("amount_minor", 0)),
            answer.get("payment_id", ""),
        )

    async def cancel(self, request_id: str, order_id: str, reason: str, timeout: float) -> None:
        await self._post(f"/v1/orders/{order_id}/cancel", request_id, {"reason": reason}, timeout)

    async def close(self) -> None:
        await self._client.aclose()
