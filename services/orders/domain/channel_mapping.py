"""The channel mapper: one platform payload -> a snapshot of the unified order, driven by mapping tables.

Nothing here knows a platform by name. Each channel's tables (field paths, status names, SKUs, defaults
and formats: how money, time and time zone are written) are data, validated by :func:`validate_entry`
and assembled by :func:`build_profile`; the same code then reads a Taobao trade, a JD order or a
Shopify order. Money is parsed from its decimal text, never through a float.
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.orders.domain.channels import ChannelState
from services.orders.domain.errors_channels import MappingFailure
from services.orders.domain.model import OrderDraft
from services.orders.domain.rules import SKU_MAX, check_text
from services.orders.domain.values import Address, Channel, LineInput
from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money


class MappingKind(enum.Enum):
    FIELD = "FIELD"
    STATUS = "STATUS"
    SKU = "SKU"
    DEFAULT = "DEFAULT"
    FORMAT = "FORMAT"


class ValueType(enum.Enum):
    TEXT = "text"
    TIME = "time"
    INTEGER = "integer"
    MONEY = "money"
    LIST = "list"


# Every field of the unified order a table may fill, and how its value is read.
ADDRESS_FIELDS = ("recipient", "phone", "country", "province", "city", "district", "detail", "postal_code")
UNIFIED_FIELDS: dict[str, ValueType] = {
    "channel_order_id": ValueType.TEXT,
    "status": ValueType.TEXT,
    "created_at": ValueType.TIME,
    "modified_at": ValueType.TIME,
    "paid_at": ValueType.TIME,
    "version": ValueType.INTEGER,
    "currency": ValueType.TEXT,
    "total": ValueType.MONEY,
    "subtotal": ValueType.MONEY,
    "shipping_fee": ValueType.MONEY,
    "discount_total": ValueType.MONEY,
    "customer_name": ValueType.TEXT,
    "buyer.member_id": ValueType.TEXT,
    "buyer.nickname": ValueType.TEXT,
    "buyer_remark": ValueType.TEXT,
    "seller_remark": ValueType.TEXT,
    **{f"shipping_address.{name}": ValueType.TEXT for name in ADDRESS_FIELDS},
    "lines": ValueType.LIST,
    "line.sku": ValueType.TEXT,
    "line.quantity": ValueType.INTEGER,
    "line.unit_price": ValueType.MONEY,
    "line.discount": ValueType.MONEY,
}
TIME_KEYWORDS = ("iso", "epoch_seconds", "epoch_millis")
FORMAT_CHOICES: dict[str, tuple[str, ...]] = {
    "money": ("yuan", "fen"),
    "sku_mapping": ("optional", "required"),
}
FORMAT_KEYS = ("money", "time", "time_zone", "currency", "sku_mapping")
KEY_MAX = 128
VALUE_MAX = 500
# Minor-unit digits of the currencies that do not use two (ISO 4217).
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}
_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
_INTEGER_TEXT = re.compile(r"[+-]?\d{1,19}")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
# The customer of a channel order is derived from the buyer's identity on that channel, so every order of
# one buyer carries the same customer_id (the customers context links it to its master record).
_LOCAL_SECONDS = "%Y-%m-%d %H:%M:%S"
_LOCAL_SECONDS_TEXT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
CUSTOMER_NAMESPACE = uuid.UUID("2f6b54a4-1a7e-4c64-9b64-6c1d0f0a8e31")
MAX_AMOUNT_MINOR = 10**15
SAMPLE_MOMENT = datetime(2026, 11, 11, 0, 0, 5)


# ---- field specs: "a.b", "a + b" (joined), "a | b" (first non-empty) ------------------------------------


Path = tuple[str | int, ...]


def _empty(value: Any) -> bool:
    if value is None:
        return True
    kind = type(value)
    if kind is str:
        return not value.strip()
    if kind is list or kind is dict:
        return not value
    return False


def _walk(payload: Any, path: Path) -> Any:
    current = payload
    for step in path:
        kind = type(current)
        if kind is dict:
            current = current.get(step if type(step) is str else str(step))
        elif kind is list and type(step) is int:
            current = current[step] if step < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


@dataclass(frozen=True)
class FieldSpec:
    """Where a unified field is in a payload: alternatives (first non-empty wins) of joined paths."""

    text: str
    alternatives: tuple[tuple[Path, ...], ...]
    # The common cases read without the general loop: one plain path, or just one top-level key.
    single: Path | None = None
    key: str | None = None

    @classmethod
    def parse(cls, text: str, where: str) -> FieldSpec:
        alternatives = []
        for alternative in text.split("|"):
            parts = []
            for part in alternative.split("+"):
                segments = part.strip().split(".")
                if not all(re.fullmatch(r"[A-Za-z_$@\-0-9]+", s) for s in segments):
                    raise InvalidArgument.field(
                        where, f"{part.strip()!r} is not a dotted path such as receiver_state or orders.order"
                    )
                parts.append(tuple(int(s) if s.isdigit() else s for s in segments))
            alternatives.append(tuple(parts))
        single = alternatives[0][0] if len(alternatives) == 1 and len(alternatives[0]) == 1 else None
        key = single[0] if single is not None and len(single) == 1 and isinstance(single[0], str) else None
        return cls(text, tuple(alternatives), single, key)

    def read(self, payload: Any) -> Any:
        """The raw value of the first non-empty alternative (a joined text when it has several parts), or None."""
        if self.key is not None:
            value = payload.get(self.key) if type(payload) is dict else None
            return None if _empty(value) else value
        if self.single is not None:
            value = _walk(payload, self.single)
            return None if _empty(value) else value
        for parts in self.alternatives:
            if len(parts) == 1:
                value = _walk(payload, parts[0])
                if not _empty(value):
                    return value
                continue
            texts = [_scalar_text(_walk(payload, path), ".".join(map(str, path))) for path in parts]
            joined = " ".join(t.strip() for t in texts if t.strip())
            if joined:
                return joined
        return None


def _scalar_text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | Decimal):
        return str(value)
    raise MappingFailure("MALFORMED_FIELD", where, f"is a {type(value).__name__}, not a text or a number")


# ---- the tables -----------------------------------------------------------------------------------------


def _zone(text: str, where: str) -> tzinfo:
    match = _OFFSET.fullmatch(text)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta > timedelta(hours=14):
            raise InvalidArgument.field(where, "must be an offset between -14:00 and +14:00")
        return timezone(-delta if sign == "-" else delta)
    if text in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidArgument.field(
            where, "must be an offset such as +08:00 or a zone such as Asia/Shanghai"
        ) from error


def validate_entry(kind: MappingKind, key: str, value: str, where: str) -> None:
    """Refuse an entry the mapper could not use, naming ``where``.key or ``where``.value."""
    check_text(f"{where}.key", key, KEY_MAX, required=True)
    check_text(f"{where}.value", value, VALUE_MAX)
    if key != key.strip():
        raise InvalidArgument.field(f"{where}.key", "must not start or end with whitespace")
    match kind:
        case MappingKind.FIELD:
            if key not in UNIFIED_FIELDS:
                raise InvalidArgument.field(f"{where}.key", "must be a unified field: " + ", ".join(UNIFIED_FIELDS))
            if not value.strip():
                raise InvalidArgument.field(f"{where}.value", "is required (remove the entry to unmap the field)")
            FieldSpec.parse(value, f"{where}.value")
        case MappingKind.STATUS:
            if value not in ChannelState.__members__:
                raise InvalidArgument.field(f"{where}.value", "must be one of " + ", ".join(ChannelState.__members__))
        case MappingKind.SKU:
            check_text(f"{where}.value", value, SKU_MAX, required=True)
            if value != value.strip():
                raise InvalidArgument.field(f"{where}.value", "must not start or end with whitespace")
        case MappingKind.DEFAULT:
            if key not in UNIFIED_FIELDS or UNIFIED_FIELDS[key] is ValueType.LIST:
                raise InvalidArgument.field(f"{where}.key", "must be a unified field other than lines")
            if UNIFIED_FIELDS[key] is ValueType.INTEGER and not _INTEGER_TEXT.fullmatch(value.strip()):
                raise InvalidArgument.field(f"{where}.value", f"must be an integer for {key}")
        case MappingKind.FORMAT:
            _validate_format(key, value, where)


def _validate_format(key: str, value: str, where: str) -> None:
    if key not in FORMAT_KEYS:
        raise InvalidArgument.field(f"{where}.key", "must be one of " + ", ".join(FORMAT_KEYS))
    if key in FORMAT_CHOICES and value not in FORMAT_CHOICES[key]:
        raise InvalidArgument.field(f"{where}.value", f"must be one of {', '.join(FORMAT_CHOICES[key])}")
    if key == "time" and value not in TIME_KEYWORDS:
        # A pattern must at least round-trip a moment, or every record of the channel would fail.
        try:
            ok = "%" in value and datetime.strptime(SAMPLE_MOMENT.strftime(value), value) == SAMPLE_MOMENT
        except ValueError:
            ok = False
        if not ok:
            raise InvalidArgument.field(
                f"{where}.value", "must be iso, epoch_seconds, epoch_millis or a strptime pattern with seconds"
            )
    if key == "time_zone":
        _zone(value, f"{where}.value")
    if key == "currency" and not (len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()):
        raise InvalidArgument.field(f"{where}.value", "must be a 3-letter ISO 4217 code such as CNY")


@dataclass(frozen=True)
class MappingEntry:
    kind: MappingKind
    key: str
    value: str


@dataclass(frozen=True)
class ChannelProfile:
    """One channel's mapping tables, ready to map records."""

    channel: Channel
    fields: Mapping[str, FieldSpec]
    statuses: Mapping[str, ChannelState]
    defaults: Mapping[str, str]
    skus: Mapping[str, str]
    money_format: str = "yuan"
    time_format: str = "iso"
    zone: tzinfo = UTC
    currency: str = "CNY"
    sku_required: bool = False
    version: int = 0


def build_profile(channel: Channel, entries: Iterable[MappingEntry], version: int = 0) -> ChannelProfile:
    fields: dict[str, FieldSpec] = {}
    statuses: dict[str, ChannelState] = {}
    defaults: dict[str, str] = {}
    skus: dict[str, str] = {}
    formats: dict[str, str] = {}
    for entry in entries:
        where = f"{entry.kind.value.lower()}[{entry.key}]"
        validate_entry(entry.kind, entry.key, entry.value, where)
        match entry.kind:
            case MappingKind.FIELD:
                fields[entry.key] = FieldSpec.parse(entry.value, where)
            case MappingKind.STATUS:
                statuses[entry.key] = ChannelState[entry.value]
            case MappingKind.SKU:
                skus[entry.key] = entry.value
            case MappingKind.DEFAULT:
                if entry.value.strip():
                    defaults[entry.key] = entry.value
            case MappingKind.FORMAT:
                formats[entry.key] = entry.value
    return ChannelProfile(
        channel=channel,
        fields=fields,
        statuses=statuses,
        defaults=defaults,
        skus=skus,
        money_format=formats.get("money", "yuan"),
        time_format=formats.get("time", "iso"),
        zone=_zone(formats.get("time_zone", "UTC"), "time_zone"),
        currency=formats.get("currency", "CNY"),
        sku_required=formats.get("sku_mapping", "optional") == "required",
        version=version,
    )


# ---- payloads -> snapshots ------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_payload(raw: bytes) -> dict[str, Any]:
    """The JSON object of a raw record; numbers with a fraction stay exact Decimals (never floats)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MappingFailure(
            "MALFORMED_PAYLOAD", "payload", f"is not UTF-8 (byte {error.start}: {raw[error.start : error.start + 4]!r})"
        ) from error
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise MappingFailure("MALFORMED_PAYLOAD", "payload", f"is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise MappingFailure("MALFORMED_PAYLOAD", "payload", f"must be a JSON object, not {type(data).__name__}")
    return data


@dataclass(frozen=True)
class ChannelSnapshot:
    """A channel order as one payload describes it, mapped; later snapshots of it carry higher versions."""

    channel: Channel
    channel_order_id: str
    platform_status: str
    state: ChannelState
    version: int
    created_at: datetime
    modified_at: datetime
    paid_at: datetime | None
    draft: OrderDraft
    buyer_member_id: str = ""
    buyer_nickname: str = ""

    @property
    def order_key(self) -> tuple[int, int]:
        """What orders two snapshots of one channel order: the platform's version, then the life stage."""
        return (self.version, self.state.rank)


def _micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


class _Reader:
    """Reads unified fields from one payload (or one line of it), with the channel's defaults."""

    __slots__ = ("defaults", "fields", "payload", "prefix", "profile")

    def __init__(self, profile: ChannelProfile, payload: Any, prefix: str = "") -> None:
        self.profile = profile
        self.fields = profile.fields
        self.defaults = profile.defaults
        self.payload = payload
        self.prefix = prefix

    def raw(self, name: str) -> Any:
        spec = self.fields.get(name)
        if spec is not None:
            value = spec.read(self.payload)
            if value is not None:
                return value
        return self.defaults.get(name)

    def where(self, name: str) -> str:
        return self.prefix + name.removeprefix("line.")

    def _missing(self, name: str) -> MappingFailure:
        return MappingFailure("MISSING_FIELD", self.where(name), "is empty or missing in the payload")

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.raw(name)
        if value is None:
            if required:
                raise self._missing(name)
            return ""
        if type(value) is str:
            return value.strip()
        return _scalar_text(value, self.where(name)).strip()

    def integer(self, name: str) -> int | None:
        value = self.raw(name)
        return None if value is None else _integer(value, self.where(name))

    def required_integer(self, name: str) -> int:
        value = self.raw(name)
        if value is None:
            raise self._missing(name)
        return _integer(value, self.where(name))

    def money(self, name: str, currency: str, *, required: bool = False) -> Money | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise self._missing(name)
            return None
        return _money(value, self.where(name), self.profile.money_format, currency)

    def time(self, name: str) -> datetime | None:
        value = self.raw(name)
        return None if value is None else _time(value, self.where(name), self.profile.time_format, self.profile.zone)

    def required_time(self, name: str) -> datetime:
        value = self.raw(name)
        if value is None:
            raise self._missing(name)
        return _time(value, self.where(name), self.profile.time_format, self.profile.zone)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise MappingFailure("BAD_NUMBER", where, "is a boolean, not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    raise MappingFailure("BAD_NUMBER", where, f"{str(value)[:40]!r} is not an integer")


def _money(value: Any, where: str, money_format: str, currency: str) -> Money:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise MappingFailure("BAD_AMOUNT", where, f"is a {type(value).__name__}, not an amount")
    if money_format == "fen":
        try:
            minor = _integer(value, where)
        except MappingFailure as error:
            raise MappingFailure("BAD_AMOUNT", where, f"{str(value)[:40]!r} is not a whole number of fen") from error
    else:
        text = str(value).strip()
        if len(text) > 40 or not _DECIMAL_TEXT.fullmatch(text):
            raise MappingFailure("BAD_AMOUNT", where, f"{text[:40]!r} is not a decimal amount")
        digits = _MINOR_DIGITS.get(currency, 2)
        try:
            scaled = Decimal(text).scaleb(digits)
            if scaled != scaled.to_integral_value():
                raise MappingFailure("BAD_AMOUNT", where, f"{text!r} has more than {digits} decimals for {currency}")
            minor = int(scaled)
        except InvalidOperation as error:
            raise MappingFailure("BAD_AMOUNT", where, f"{text!r} is not a decimal amount") from error
    if abs(minor) > MAX_AMOUNT_MINOR:
        raise MappingFailure("BAD_AMOUNT", where, "is out of range")
    return Money(minor, currency)


def _time(value: Any, where: str, time_format: str, zone: tzinfo) -> datetime:
    try:
        if time_format in ("epoch_seconds", "epoch_millis"):
            number = _integer(value, where)
            seconds = number / 1000 if time_format == "epoch_millis" else number
            return datetime.fromtimestamp(seconds, UTC)
        text = _scalar_text(value, where).strip()
        if time_format == "iso" or (time_format == _LOCAL_SECONDS and _LOCAL_SECONDS_TEXT.fullmatch(text)):
            # The common pattern is ISO 8601 with a space: the C parser reads it several times faster.
            moment = datetime.fromisoformat(text)
        else:
            moment = datetime.strptime(text, time_format)
    except MappingFailure as error:
        raise MappingFailure("BAD_TIME", where, error.detail) from error
    except (ValueError, OverflowError, OSError) as error:
        shown = str(value)[:40]
        raise MappingFailure("BAD_TIME", where, f"{shown!r} is not a time in the format {time_format}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def customer_id_for(channel: Channel, member_id: str, fallback: str) -> str:
    """The same buyer on the same channel is the same customer; a buyer without any identity is one per order."""
    return str(uuid.uuid5(CUSTOMER_NAMESPACE, f"{channel.value}:{member_id or fallback}"))


def map_record(profile: ChannelProfile, payload: Mapping[str, Any]) -> ChannelSnapshot:
    """Map one payload with ``profile``; MappingFailure names the reason and the unified field at fault."""
    reader = _Reader(profile, payload)
    channel_order_id = reader.text("channel_order_id", required=True)
    try:
        return _map(profile, reader, channel_order_id)
    except MappingFailure as failure:
        failure.channel_order_id = channel_order_id
        raise


def _map(profile: ChannelProfile, reader: _Reader, channel_order_id: str) -> ChannelSnapshot:
    status_text = reader.text("status", required=True)
    state = profile.statuses.get(status_text)
    if state is None:
        raise MappingFailure("UNKNOWN_STATUS", "status", f"{status_text!r} is not in the status table of the channel")
    currency = reader.text("currency") or profile.currency
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise MappingFailure("BAD_AMOUNT", "currency", f"{currency[:10]!r} is not an ISO 4217 code")
    currency = currency.upper()
    created_at = reader.required_time("created_at")
    modified_at = reader.time("modified_at") or created_at
    paid_at = reader.time("paid_at")
    explicit_version = reader.integer("version")
    version = explicit_version if explicit_version is not None else _micros(modified_at)
    member_id = reader.text("buyer.member_id")
    nickname = reader.text("buyer.nickname")
    address = Address(**{name: reader.text(f"shipping_address.{name}") for name in ADDRESS_FIELDS})
    if address.country:
        address = Address(**{**address.__dict__, "country": address.country.upper()})
    lines = _lines(profile, reader, currency)
    draft = OrderDraft(
        channel=profile.channel,
        channel_order_id=channel_order_id,
        customer_id=customer_id_for(
            profile.channel, member_id, nickname or address.phone or f"order:{channel_order_id}"
        ),
        lines=lines,
        total=reader.money("total", currency, required=True),
        shipping_fee=reader.money("shipping_fee", currency),
        discount_total=reader.money("discount_total", currency),
        subtotal=reader.money("subtotal", currency),
        customer_name=reader.text("customer_name") or nickname or address.recipient,
        shipping_address=address,
        buyer_remark=reader.text("buyer_remark"),
        seller_remark=reader.text("seller_remark"),
    )
    return ChannelSnapshot(
        channel=profile.channel,
        channel_order_id=channel_order_id,
        platform_status=status_text,
        state=state,
        version=version,
        created_at=created_at,
        modified_at=modified_at,
        paid_at=paid_at,
        draft=draft,
        buyer_member_id=member_id,
        buyer_nickname=nickname,
    )


def _lines(profile: ChannelProfile, reader: _Reader, currency: str) -> tuple[LineInput, ...]:
    raw = reader.raw("lines")
    if raw is None:
        raise MappingFailure("MISSING_FIELD", "lines", "the payload has no order lines")
    # Payloads converted from XML turn a one-element list into the element itself.
    items: Sequence[Any] = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise MappingFailure("MALFORMED_FIELD", "lines", f"is a {type(raw).__name__}, not a list of lines")
    lines = []
    for index, item in enumerate(items):
        prefix = f"lines[{index}]."
        if not isinstance(item, dict):
            raise MappingFailure("MALFORMED_FIELD", f"lines[{index}]", "is not an object")
        line = _Reader(profile, item, prefix)
        channel_sku = line.text("line.sku", required=True)
        sku = profile.skus.get(channel_sku)
        if sku is None:
            if profile.sku_required:
                raise MappingFailure(
                    "SKU_NOT_MAPPED", f"{prefix}sku", f"channel SKU {channel_sku!r} has no entry in the SKU table"
                )
            sku = channel_sku
        quantity = line.required_integer("line.quantity")
        lines.append(
            LineInput(
                sku=sku,
                quantity=quantity,
                unit_price=line.money("line.unit_price", currency),
                discount=line.money("line.discount", currency),
            )
        )
    return tuple(lines)
