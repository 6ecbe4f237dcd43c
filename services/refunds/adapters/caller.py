"""Who is calling: the one place refunds read the caller's identity from.

The gRPC edge (shared.grpc.auth) puts the principal in shared.context: the subject and role of a verified
bearer token, or, where tokens are not required (development), the x-oms-subject / x-oms-role headers.
"""

from __future__ import annotations

from services.refunds.domain.errors import CallerUnknown
from services.refunds.domain.values import Actor, checked_text
from shared.auth import ROLES
from shared.context import current_call

MAX_SUBJECT = 200


def current_actor() -> Actor:
    """The authenticated caller of this RPC, or CallerUnknown (UNAUTHENTICATED) if it did not say who it is."""
    call = current_call.get()
    subject, role = call.subject.strip(), call.role.strip()
    if not subject or not role:
        raise CallerUnknown("the call must name its caller (x-oms-subject and x-oms-role)")
    if role not in ROLES:
        raise CallerUnknown(f"role {role!r} is not a known role", metadata={"role": role})
    return Actor(checked_text(subject, "x-oms-subject", max_length=MAX_SUBJECT), role)
