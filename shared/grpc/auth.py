"""Authentication and authorisation at the gRPC edge: a signed token names the caller and role; the service's
permission matrix (data, per RPC) says which roles may call what.

A matrix is a YAML mapping of RPC name to the roles allowed (``"*"`` for any authenticated caller):

    Reserve: [service, admin]
    GetAvailability: ["*"]

RPCs missing from the matrix are refused, so a new RPC is closed until someone decides who may call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc
import yaml

from shared.auth import ROLES, Principal, TokenAuthority
from shared.context import current_call
from shared.grpc.interceptors import Behaviour, UnaryInterceptor, metadata_of
from shared.kernel.errors import PermissionDenied, Unauthenticated

ANY_ROLE = "*"
# Health and reflection are for probes and operators' tools, not for data.
OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


@dataclass(frozen=True)
class PermissionMatrix:
    """Which roles may call each RPC of one service (keys are RPC names, e.g. ``Reserve``)."""

    allowed: Mapping[str, frozenset[str]]

    @classmethod
    def load(cls, path: Path) -> PermissionMatrix:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        allowed: dict[str, frozenset[str]] = {}
        for rpc, roles in data.items():
            unknown = set(roles) - ROLES - {ANY_ROLE}
            if unknown:
                raise ValueError(f"{path}: {rpc} names unknown roles {sorted(unknown)}")
            allowed[rpc] = frozenset(roles)
        return cls(allowed)

    def allows(self, rpc: str, role: str) -> bool:
        roles = self.allowed.get(rpc, frozenset())
        return ANY_ROLE in roles or role in roles


def rpc_name(method: str) -> str:
    """``/oms.inventory.v1.InventoryService/Reserve`` -> ``Reserve``."""
    return method.rsplit("/", 1)[-1]


class AuthInterceptor(UnaryInterceptor):
    """Verifies ``authorization: Bearer <token>`` and enforces the matrix; puts the principal in the call context.

    With ``required`` off (local development only), a call without a token acts as the role it declares in
    ``x-oms-role`` (default ``service``); a token, when present, is always verified.
    """

    def __init__(self, authority: TokenAuthority | None, matrix: PermissionMatrix | None, *, required: bool) -> None:
        if required and authority is None:
            raise ValueError("authentication is required but no token secret is configured")
        self._authority = authority
        self._matrix = matrix
        self._required = required

    def principal(self, metadata: Mapping[str, str]) -> Principal:
        header = metadata.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token or self._authority is None:
                raise Unauthenticated("the authorization header must be 'Bearer <token>'", reason="TOKEN_INVALID")
            return self._authority.verify(token.strip())
        if self._required:
            raise Unauthenticated("this call needs a bearer token", reason="TOKEN_MISSING")
        role = metadata.get("x-oms-role") or "service"
        return Principal(subject=metadata.get("x-oms-subject") or "anonymous", role=role)

    def wrap(self, behaviour: Behaviour, details: grpc.HandlerCallDetails) -> Behaviour:
        if details.method.startswith(OPEN_SERVICES):
            return behaviour
        metadata = metadata_of(details)
        rpc = rpc_name(details.method)

        async def authorised(request: Any, context: grpc.aio.ServicerContext) -> Any:
            principal = self.principal(metadata)
            if self._matrix is not None and not self._matrix.allows(rpc, principal.role):
                raise PermissionDenied(
                    f"role {principal.role} may not call {rpc}",
                    reason="ROLE_NOT_ALLOWED",
                    metadata={"rpc": rpc, "role": principal.role},
                )
            current_call.set(
                replace(
                    current_call.get(),
                    subject=principal.subject,
                    role=principal.role,
                    teams=principal.teams,
                    channels=principal.channels,
                )
            )
            return await behaviour(request, context)

        return authorised
