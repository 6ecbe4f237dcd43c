"""Caller tokens and the permission matrix: who may call what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Principal, TokenAuthority
from shared.grpc.auth import AuthInterceptor, PermissionMatrix
from shared.kernel.errors import Unauthenticated

SECRET = "s" * 40


def matrix(tmp_path, text: str) -> PermissionMatrix:
    path = tmp_path / "permissions.yaml"
    path.write_text(text)
    return PermissionMatrix.load(path)


def test_a_token_round_trips_its_principal():
    authority = TokenAuthority(SECRET)
    principal = Principal("alice", "warehouse", teams=("east",), channels=("TMALL",))
    assert authority.verify(authority.issue(principal)) == principal


def test_an_expired_token_is_refused():
    authority = TokenAuthority(SECRET, lifetime=timedelta(minutes=5))
    token = authority.issue(Principal("bob", "finance"), now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(Unauthenticated) as refused:
        authority.verify(token)
    assert refused.value.reason == "TOKEN_EXPIRED"


def test_a_token_signed_with_another_secret_is_refused():
    forged = TokenAuthority("x" * 40).issue(Principal("mallory", "admin"))
    with pytest.raises(Unauthenticated) as refused:
        TokenAuthority(SECRET).verify(forged)
    assert refused.value.reason == "TOKEN_INVALID"


@pytest.mark.parametrize(
    ("rpc", "role", "allowed"),
    [
        ("Confirm", "warehouse", True),
        ("Refund", "warehouse", False),
        ("Refund", "finance", True),
        ("GetAvailability", "customer_service", True),
        ("DeleteEverything", "admin", False),  # not in the matrix: closed
    ],
)
def test_the_matrix_is_enforced_per_rpc(tmp_path, rpc, role, allowed):
    permissions = matrix(
        tmp_path, 'Confirm: [warehouse, service]\nRefund: [finance, service]\nGetAvailability: ["*"]\n'
    )
    assert permissions.allows(rpc, role) is allowed


def test_a_matrix_naming_an_unknown_role_fails_at_start_up(tmp_path):
    with pytest.raises(ValueError, match="unknown roles"):
        matrix(tmp_path, "Confirm: [janitor]\n")


def test_required_authentication_refuses_a_call_without_a_token():
    interceptor = AuthInterceptor(TokenAuthority(SECRET), None, required=True)
    with pytest.raises(Unauthenticated) as refused:
        interceptor.principal({"x-oms-role": "admin"})
    assert refused.value.reason == "TOKEN_MISSING"


def test_a_declared_role_is_ignored_when_a_token_is_present():
    authority = TokenAuthority(SECRET)
    interceptor = AuthInterceptor(authority, None, required=True)
    token = authority.issue(Principal("carol", "customer_service"))
    principal = interceptor.principal({"authorization": f"Bearer {token}", "x-oms-role": "admin"})
    assert principal.role == "customer_service"
