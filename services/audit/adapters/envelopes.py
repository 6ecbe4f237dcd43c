"""Maps any integration event (an EventEnvelope) to an audit entry draft, generically, from its envelope and
its payload rendered as proto JSON. Payload types are known from the generated events modules of every
context this process imports; an unknown type is kept raw, never dropped.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from google.protobuf import descriptor_pool, json_format, message, message_factory
from google.protobuf.descriptor import FieldDescriptor
from oms.events.v1 import events_pb2

from services.audit.domain import rules
from services.audit.domain.model import SYSTEM_ROLE, Actor, Change, EntryDraft

log = logging.getLogger(__name__)

ACTOR_TYPE = "oms.common.v1.Actor"
PEER_FIELDS = ("peer_address", "peer")
TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
# Pairs of payload fields that say "this field went from ... to ...", when the event has no `changes` list.
CHANGE_PAIRS = (("from_", "to_"), ("previous_", ""), ("old_", "new_"))


def load_event_modules(contexts: Iterable[str]) -> list[str]:
    """Import ``oms.<ctx>.v1.events_pb2`` for each context whose contract exists; returns those imported."""
    loaded = []
    for context in contexts:
        try:
            importlib.import_module(f"oms.{context}.v1.events_pb2")
        except ModuleNotFoundError:
            log.info("no generated events for context %s; its events are recorded with raw payloads", context)
            continue
        loaded.append(context)
    return loaded


def trace_id_of(traceparent: str) -> str:
    """The trace id of a W3C traceparent, or "" when it is absent or invalid."""
    match = TRACEPARENT.fullmatch(traceparent.strip())
    if not match or match.group(1) == "0" * 32:
        return ""
    return match.group(1)


def _message_class(type_name: str) -> type[message.Message] | None:
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(type_name)
    except KeyError:
        return None
    return message_factory.GetMessageClass(descriptor)


def _dict(payload: message.Message) -> dict[str, Any]:
    return json_format.MessageToDict(payload, preserving_proto_field_name=True)


def _actor(*sources: message.Message) -> Actor | None:
    """The actor named by the envelope or the payload: a field of type Actor, preferring one called actor."""
    for source in sources:
        found = [(f.name, v) for f, v in source.ListFields() if _is_actor(f)]
        found.sort(key=lambda item: item[0] != "actor")
        for _, actor in found:
            if actor.subject:
                return Actor(
                    rules.clean_text(actor.subject, rules.MAX_SUBJECT), rules.clean_text(actor.role, rules.MAX_ROLE)
                )
    return None


def _service_actor(envelope: events_pb2.EventEnvelope) -> Actor:
    """Events that name nobody were done by the publishing service itself."""
    return Actor(rules.clean_text(envelope.source or "unknown", rules.MAX_SUBJECT), SYSTEM_ROLE)


def _is_actor(field: FieldDescriptor) -> bool:
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE
        and field.message_type.full_name == ACTOR_TYPE
        and not _is_repeated(field)
    )


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _peer(*sources: message.Message) -> str:
    for source in sources:
        for name in PEER_FIELDS:
            field = source.DESCRIPTOR.fields_by_name.get(name)
            if field is not None and field.type == FieldDescriptor.TYPE_STRING and not _is_repeated(field):
                value = getattr(source, name)
                if value:
                    return rules.clean_text(value, rules.MAX_PEER)
    return ""


def _changes(payload: message.Message, rendered: dict[str, Any]) -> tuple[Change, ...]:
    """The payload's own ``changes`` (field, before, after) if it has them, else the from/to pairs it carries."""
    field = payload.DESCRIPTOR.fields_by_name.get("changes")
    if field is not None and field.type == FieldDescriptor.TYPE_MESSAGE and _is_repeated(field):
        listed = []
        for item in payload.changes:  # type: ignore[attr-defined]
            plain = _dict(item)
            listed.append(
                Change(
                    rules.clean_text(str(plain.get("field", "")), rules.MAX_FIELD),
                    plain.get("before"),
                    plain.get("after"),
                )
            )
        return tuple(listed)
    derived = []
    for before_prefix, after_prefix in CHANGE_PAIRS:
        for key in sorted(rendered):
            if not key.startswith(before_prefix):
                continue
            name = key[len(before_prefix) :]
            after_key = after_prefix + name
            if name and after_key in rendered and after_key != key:
                derived.append(Change(name, rendered[key], rendered[after_key]))
    return tuple(derived)


def _occurred_at(envelope: events_pb2.EventEnvelope, now: datetime) -> datetime:
    if not envelope.HasField("occurred_at"):
        return now
    try:
        return envelope.occurred_at.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        return now


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class EnvelopeMapper:
    """Turns envelopes into entry drafts; knows the payload types of the contexts it was given."""

    def __init__(self, contexts: Iterable[str]) -> None:
        self.known_contexts = load_event_modules(contexts)

    def draft(self, envelope: events_pb2.EventEnvelope, *, entry_id: str, now: datetime) -> EntryDraft:
        payload = self._unpack(envelope)
        rendered = self._render(envelope, payload)
        if payload is not None and rendered is not None:
            payload_json = _canonical(rendered)
        else:
            payload = None
            payload_json = _canonical(
                {
                    "@type": envelope.payload.type_url,
                    "raw_base64": base64.b64encode(envelope.payload.value).decode("ascii"),
                }
            )
        sources = [envelope] if payload is None else [envelope, payload]
        event_type = envelope.type or envelope.payload.TypeName()
        return EntryDraft(
            entry_id=entry_id,
            actor=_actor(*sources) or _service_actor(envelope),
            peer_address=_peer(*sources),
            occurred_at=_occurred_at(envelope, now),
            entity_type=rules.entity_type_of(envelope.aggregate_type),
            entity_id=rules.clean_text(envelope.aggregate_id, rules.MAX_ENTITY_ID),
            action=rules.clean_text(event_type.rsplit(".", 1)[-1] or "unknown", rules.MAX_ACTION),
            changes=_changes(payload, rendered) if payload is not None and rendered is not None else (),
            trace_id=trace_id_of(envelope.traceparent),
            request_id=rules.clean_text(envelope.request_id, rules.MAX_ENTITY_ID),
            source_event_id=rules.clean_text(envelope.id, rules.MAX_ENTITY_ID),
            source_event_type=rules.clean_text(event_type, 500),
            payload_json=payload_json,
        )

    @staticmethod
    def _render(envelope: events_pb2.EventEnvelope, payload: message.Message | None) -> dict[str, Any] | None:
        if payload is None:
            return None
        try:
            return _dict(payload)
        except (json_format.Error, TypeError, KeyError, ValueError):
            # e.g. a nested Any of a type this process does not know: keep the whole payload raw instead.
            log.warning("event %s: payload of %s has no JSON form here; kept raw", envelope.id, envelope.type)
            return None

    def _unpack(self, envelope: events_pb2.EventEnvelope) -> message.Message | None:
        if not envelope.HasField("payload"):
            return None
        kind = _message_class(envelope.payload.TypeName())
        if kind is None:
            return None
        payload = kind()
        try:
            if not envelope.payload.Unpack(payload):
                return None
        except message.DecodeError:
            log.warning("event %s: payload of %s does not decode; kept raw", envelope.id, envelope.payload.type_url)
            return None
        return payload
