"""Per-call context carried across the async code of one RPC: request id, caller identity, peer."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class CallContext:
    """Who is calling and with which request id; set by the gRPC edge interceptor."""

    request_id: str = ""
    subject: str = ""
    role: str = ""
    peer: str = ""
    # The scope of a caller limited to some teams or channels; empty means no limit.
    teams: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


NO_CALL = CallContext()
current_call: ContextVar[CallContext] = ContextVar("oms_current_call", default=NO_CALL)
