"""Every permission matrix parses, covers exactly the RPCs of its contract, and says what DOMAIN.md says."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from shared.grpc.auth import PermissionMatrix

ROOT = Path(__file__).resolve().parents[3]
MATRICES = sorted(ROOT.glob("services/*/permissions.yaml"))


def contract_rpcs(service: str) -> set[str]:
    module = importlib.import_module(f"oms.{service}.v1.{service}_pb2")
    (descriptor,) = module.DESCRIPTOR.services_by_name.values()
    return {method.name for method in descriptor.methods}


@pytest.mark.parametrize("path", MATRICES, ids=lambda p: p.parent.name)
def test_the_matrix_covers_exactly_the_contract(path):
    matrix = PermissionMatrix.load(path)
    assert set(matrix.allowed) == contract_rpcs(path.parent.name)


def allows(service: str, rpc: str, role: str) -> bool:
    return PermissionMatrix.load(ROOT / "services" / service / "permissions.yaml").allows(rpc, role)


@pytest.mark.parametrize(
    ("service", "rpc", "role", "allowed"),
    [
        # After-sales may edit a return but may not delete or cancel an order.
        ("refunds", "RequestRefund", "customer_service", True),
        ("orders", "CancelOrder", "customer_service", False),
        ("saga", "CancelOrder", "customer_service", False),
        # The warehouse may confirm shipment but may not refund.
        ("inventory", "Confirm", "warehouse", True),
        ("orders", "TransitionOrder", "warehouse", True),
        ("payments", "Refund", "warehouse", False),
        ("refunds", "ApproveRefund", "warehouse", False),
        # Money and prices.
        ("refunds", "ApproveRefund", "finance", True),
        ("pricing", "ActivatePromotion", "customer_service", False),
        ("pricing", "Quote", "customer_service", True),
        ("inventory", "ResumeSku", "warehouse", False),
        ("customers", "MergeCustomers", "customer_service", False),
        # Stock and money move only through the sagas' service account (or an admin).
        ("inventory", "Reserve", "operations", False),
        ("payments", "Authorize", "service", True),
    ],
)
def test_duties(service, rpc, role, allowed):
    assert allows(service, rpc, role) is allowed
