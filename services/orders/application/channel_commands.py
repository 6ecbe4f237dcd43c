"""Commands, queries and results of channel ingest: frozen dataclasses, serialisable for idempotent replay."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from services.orders.application.channel_ports import (
    ChannelSettingsChange,
    ChannelStatusView,
    FailedIngestFilter,
    FailedIngestView,
    MappingChange,
)
from services.orders.domain.channel_mapping import MappingEntry, MappingKind
from services.orders.domain.channels import IngestOutcome
from services.orders.domain.values import Actor, Channel

MAX_BATCH = 5000


@dataclass(frozen=True)
class IngestChannelOrders:
    """Ingest raw channel records (each one order in its platform's format) in one transaction."""

    request_id: str
    channel: Channel
    records: tuple[bytes, ...]


@dataclass(frozen=True)
class BatchKey:
    """What the idempotency record of a batch keeps: the records by digest, not in full."""

    request_id: str
    channel: Channel
    digest: str

    @classmethod
    def of(cls, command: IngestChannelOrders) -> BatchKey:
        digest = hashlib.sha256()
        for record in command.records:
            digest.update(len(record).to_bytes(8, "big"))
            digest.update(record)
        return cls(command.request_id, command.channel, digest.hexdigest())


@dataclass(frozen=True)
class RecordResult:
    index: int
    outcome: IngestOutcome
    channel_order_id: str = ""
    order_id: str = ""
    failed_ingest_id: str = ""
    reason: str = ""
    field: str = ""
    detail: str = ""


@dataclass(frozen=True)
class BatchResult:
    results: tuple[RecordResult, ...]

    def count(self, outcome: IngestOutcome) -> int:
        return sum(1 for result in self.results if result.outcome is outcome)


@dataclass(frozen=True)
class ReceiveWebhook:
    request_id: str
    channel: Channel
    payload: bytes
    signature: str


@dataclass(frozen=True)
class WebhookKey:
    request_id: str
    channel: Channel
    digest: str


@dataclass(frozen=True)
class RetryFailedIngest:
    request_id: str
    failed_ingest_id: str


@dataclass(frozen=True)
class RetryResult:
    failed_ingest_id: str
    # None when the entry was RESOLVED already and nothing ran.
    result: RecordResult | None


@dataclass(frozen=True)
class ConfigureChannel:
    request_id: str
    channel: Channel
    change: ChannelSettingsChange


@dataclass(frozen=True)
class ReleaseChannelSync:
    request_id: str
    channel: Channel
    note: str
    actor: Actor


@dataclass(frozen=True)
class SetChannelMappings:
    request_id: str
    channel: Channel
    changes: tuple[MappingChange, ...]
    actor: Actor


@dataclass(frozen=True)
class MappingsSet:
    mapping_version: int


@dataclass(frozen=True)
class ListChannelMappings:
    channel: Channel
    kind: MappingKind | None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class MappingRow:
    entry: MappingEntry
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class MappingPage:
    mappings: tuple[MappingRow, ...]
    next_page_token: str


@dataclass(frozen=True)
class ListFailedIngests:
    filter: FailedIngestFilter
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class FailedIngestPage:
    failed_ingests: tuple[FailedIngestView, ...]
    next_page_token: str


@dataclass(frozen=True)
class StatusResult:
    status: ChannelStatusView
