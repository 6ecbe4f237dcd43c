"""Signed caller tokens (JWT, HS256 with a shared secret): who calls, in which role, limited to which scope.

Roles are duties, not titles. Service accounts call with role ``service``. A token may limit its holder to
teams or channels (``teams``/``channels`` claims); an empty list means no limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from shared.kernel.errors import Unauthenticated

ROLES = frozenset({"customer_service", "cs_supervisor", "warehouse", "finance", "operations", "admin", "service"})
ISSUER = "oms"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    role: str
    teams: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


class TokenAuthority:
    """Issues and verifies caller tokens with one secret (rotate by deploying a new secret)."""

    def __init__(self, secret: str, *, lifetime: timedelta = timedelta(hours=8)) -> None:
        if len(secret) < 32:
            raise ValueError("the token secret must be at least 32 characters")
        self._secret = secret
        self._lifetime = lifetime

    def issue(self, principal: Principal, *, now: datetime | None = None) -> str:
        if principal.role not in ROLES:
            raise ValueError(f"unknown role {principal.role!r}")
        issued = now or datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": principal.subject,
            "role": principal.role,
            "teams": list(principal.teams),
            "channels": list(principal.channels),
            "iat": issued,
            "exp": issued + self._lifetime,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; Unauthenticated (TOKEN_EXPIRED or TOKEN_INVALID) otherwise."""
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("the token has expired", reason="TOKEN_EXPIRED") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated("the token is not valid", reason="TOKEN_INVALID") from error
        if claims.get("role") not in ROLES:
            raise Unauthenticated("the token names no known role", reason="TOKEN_INVALID")
        return Principal(
            subject=str(claims["sub"]),
            role=claims["role"],
            teams=tuple(claims.get("teams") or ()),
            channels=tuple(claims.get("channels") or ()),
        )
