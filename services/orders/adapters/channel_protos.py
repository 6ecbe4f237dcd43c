"""Translation between the channel messages of oms.orders.v1 and the channel use cases."""

from __future__ import annotations

from datetime import datetime

from oms.orders.v1 import orders_pb2

from services.orders.adapters.protos import channel_out, enum_in, instant_in, instant_out
from services.orders.application.channel_commands import RecordResult
from services.orders.application.channel_ports import (
    ChannelSettingsChange,
    ChannelStatusView,
    FailedIngestView,
    SyncHour,
)
from services.orders.domain.channel_mapping import MappingEntry, MappingKind
from services.orders.domain.channels import FailedIngestState, IngestOutcome, SyncState

_OUTCOMES = {
    IngestOutcome.CREATED: orders_pb2.INGEST_OUTCOME_CREATED,
    IngestOutcome.UPDATED: orders_pb2.INGEST_OUTCOME_UPDATED,
    IngestOutcome.UNCHANGED: orders_pb2.INGEST_OUTCOME_UNCHANGED,
    IngestOutcome.FAILED: orders_pb2.INGEST_OUTCOME_FAILED,
}


def mapping_kind_in(number: int, field: str) -> MappingKind:
    return enum_in(MappingKind, orders_pb2.ChannelMappingKind, "CHANNEL_MAPPING_KIND_", field, number)


def mapping_kind_out(kind: MappingKind) -> int:
    return orders_pb2.ChannelMappingKind.Value("CHANNEL_MAPPING_KIND_" + kind.value)


def failed_state_in(number: int, field: str) -> FailedIngestState:
    return enum_in(FailedIngestState, orders_pb2.FailedIngestState, "FAILED_INGEST_STATE_", field, number)


def failed_state_out(state: FailedIngestState) -> int:
    return orders_pb2.FailedIngestState.Value("FAILED_INGEST_STATE_" + state.value)


def sync_state_out(state: SyncState) -> int:
    return orders_pb2.ChannelSyncState.Value("CHANNEL_SYNC_STATE_" + state.value)


def result_out(result: RecordResult) -> orders_pb2.IngestResult:
    return orders_pb2.IngestResult(
        index=result.index,
        outcome=_OUTCOMES[result.outcome],
        channel_order_id=result.channel_order_id,
        order_id=result.order_id,
        failed_ingest_id=result.failed_ingest_id,
        reason=result.reason,
        field=result.field,
        detail=result.detail,
    )


def settings_in(request: orders_pb2.ConfigureChannelRequest) -> ChannelSettingsChange:
    return ChannelSettingsChange(
        pull_enabled=request.pull_enabled if request.HasField("pull_enabled") else None,
        endpoint_url=request.endpoint_url if request.HasField("endpoint_url") else None,
        interval_seconds=request.interval_seconds if request.HasField("interval_seconds") else None,
        page_size=request.page_size if request.HasField("page_size") else None,
        webhook_secret=request.webhook_secret if request.HasField("webhook_secret") else None,
        pull_since=instant_in(request.pull_since, "pull_since") if request.HasField("pull_since") else None,
        reset_cursor=request.reset_cursor,
        pull_now=request.pull_now,
    )


def _hour_out(hour: SyncHour) -> orders_pb2.ChannelSyncHour:
    counts = hour.counts
    return orders_pb2.ChannelSyncHour(
        hour_start=instant_out(hour.hour_start),
        attempts=counts.attempts,
        successes=counts.successes,
        success_rate=counts.successes / counts.attempts if counts.attempts else 0.0,
        records=counts.records,
        orders_created=counts.orders_created,
        orders_updated=counts.orders_updated,
        failures=counts.failures,
    )


def status_out(view: ChannelStatusView) -> orders_pb2.ChannelStatus:
    status = orders_pb2.ChannelStatus(
        channel=channel_out(view.channel),
        platform=view.platform,
        pull_enabled=view.pull_enabled,
        endpoint_url=view.endpoint_url,
        interval_seconds=view.interval_seconds,
        page_size=view.page_size,
        webhook_secret_set=view.webhook_secret_set,
        state=sync_state_out(view.state),
        pause_reason=view.pause_reason,
        last_error=view.last_error,
        cursor=view.cursor,
        mapping_version=view.mapping_version,
        pending_failed_ingests=view.pending_failed_ingests,
        recent_hours=[_hour_out(hour) for hour in view.recent_hours],
    )
    for name in ("paused_at", "last_sync_at", "last_attempt_at", "stalled_since", "pull_since", "surge_exempt_until"):
        moment = getattr(view, name)
        if moment is not None:
            getattr(status, name).CopyFrom(instant_out(moment))
    return status


def failed_out(view: FailedIngestView) -> orders_pb2.FailedIngest:
    message = orders_pb2.FailedIngest(
        failed_ingest_id=view.failed_ingest_id,
        channel=channel_out(view.channel),
        channel_order_id=view.channel_order_id,
        reason=view.reason,
        field=view.field,
        detail=view.detail,
        raw_payload=view.payload,
        state=failed_state_out(view.state),
        attempts=view.attempts,
        occurrences=view.occurrences,
        received_at=instant_out(view.received_at),
        last_attempt_at=instant_out(view.last_attempt_at),
        order_id=view.order_id,
    )
    if view.next_retry_at is not None:
        message.next_retry_at.CopyFrom(instant_out(view.next_retry_at))
    if view.resolved_at is not None:
        message.resolved_at.CopyFrom(instant_out(view.resolved_at))
    return message


def mapping_out(entry: MappingEntry, updated_at: datetime, updated_by: str) -> orders_pb2.ChannelMapping:
    return orders_pb2.ChannelMapping(
        kind=mapping_kind_out(entry.kind),
        key=entry.key,
        value=entry.value,
        updated_at=instant_out(updated_at),
        updated_by=updated_by,
    )
