"""Domain events -> oms.customers.v1 integration events (PII masked; the actor from the call context)."""

from __future__ import annotations

from functools import singledispatch

from google.protobuf.message import Message
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2, events_pb2

from services.customers.domain import events
from services.customers.domain.pii import mask_phone
from services.customers.domain.values import CustomerKind, CustomerTier
from shared.grpc.convert import timestamp_out as timestamp

AGGREGATE_TYPE = "customer"


def tier_to_proto(tier: CustomerTier) -> customers_pb2.CustomerTier.ValueType:
    return customers_pb2.CustomerTier.Value(f"CUSTOMER_TIER_{tier.value}")


def kind_to_proto(kind: CustomerKind) -> customers_pb2.CustomerKind.ValueType:
    return customers_pb2.CustomerKind.Value(f"CUSTOMER_KIND_{kind.value}")


@singledispatch
def to_integration_event(event: object, actor: common_pb2.Actor) -> Message:
    raise TypeError(f"no integration event for {type(event).__name__}")


@to_integration_event.register
def _(event: events.CustomerRegistered, actor: common_pb2.Actor) -> Message:
    return events_pb2.CustomerRegistered(
        customer_id=event.customer_id,
        kind=kind_to_proto(event.kind),
        name=event.name,
        phone_masked=mask_phone(event.phone),
        tax_id=event.tax_id,
        tier=tier_to_proto(event.tier),
        channel=event.channel,
        registered_at=timestamp(event.registered_at),
        actor=actor,
        team=event.team,
    )


@to_integration_event.register
def _(event: events.CustomerUpdated, actor: common_pb2.Actor) -> Message:
    return events_pb2.CustomerUpdated(
        customer_id=event.customer_id,
        changed_fields=event.changed_fields,
        version=event.version,
        updated_at=timestamp(event.updated_at),
        actor=actor,
    )


@to_integration_event.register
def _(event: events.CustomersMerged, actor: common_pb2.Actor) -> Message:
    return events_pb2.CustomersMerged(
        survivor_customer_id=event.survivor_customer_id,
        merged_customer_id=event.merged_customer_id,
        filled_fields=event.filled_fields,
        added_tags=event.added_tags,
        reason=event.reason,
        merged_at=timestamp(event.merged_at),
        actor=actor,
    )


@to_integration_event.register
def _(event: events.CustomerTagged, actor: common_pb2.Actor) -> Message:
    return events_pb2.CustomerTagged(
        customer_id=event.customer_id,
        added_tags=event.added_tags,
        tags=event.tags,
        tagged_at=timestamp(event.tagged_at),
        actor=actor,
    )


@to_integration_event.register
def _(event: events.CustomerUntagged, actor: common_pb2.Actor) -> Message:
    return events_pb2.CustomerUntagged(
        customer_id=event.customer_id,
        removed_tags=event.removed_tags,
        tags=event.tags,
        untagged_at=timestamp(event.untagged_at),
        actor=actor,
    )


@to_integration_event.register
def _(event: events.CustomerTierChanged, actor: common_pb2.Actor) -> Message:
    return events_pb2.CustomerTierChanged(
        customer_id=event.customer_id,
        previous_tier=tier_to_proto(event.previous_tier),
        tier=tier_to_proto(event.tier),
        reason=event.reason,
        changed_at=timestamp(event.changed_at),
        actor=actor,
    )


@to_integration_event.register
def _(event: events.CustomerTeamChanged, actor: common_pb2.Actor) -> Message:
    return events_pb2.CustomerTeamChanged(
        customer_id=event.customer_id,
        previous_team=event.previous_team,
        team=event.team,
        reason=event.reason,
        changed_at=timestamp(event.changed_at),
        actor=actor,
    )


@to_integration_event.register
def _(event: events.CustomerPiiViewed, actor: common_pb2.Actor) -> Message:
    # The viewer is who the PII policy let through, which may differ from the transport-level caller.
    return events_pb2.CustomerPiiViewed(
        customer_id=event.customer_id,
        viewer=common_pb2.Actor(subject=event.viewer_subject, role=event.viewer_role),
        fields=event.fields,
        purpose=event.purpose,
        viewed_at=timestamp(event.viewed_at),
    )
