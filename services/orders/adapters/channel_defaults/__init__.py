"""The default mapping tables of each channel (one JSON file per platform), seeded into the orders database.

Operators change the tables with SetChannelMappings; these files only give a fresh database its start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from services.orders.domain.channel_mapping import MappingEntry, MappingKind, validate_entry
from services.orders.domain.values import Channel

DIRECTORY = Path(__file__).resolve().parent
_SECTIONS = {
    "fields": MappingKind.FIELD,
    "statuses": MappingKind.STATUS,
    "skus": MappingKind.SKU,
    "defaults": MappingKind.DEFAULT,
    "format": MappingKind.FORMAT,
}


@dataclass(frozen=True)
class DefaultTables:
    channel: Channel
    platform: str
    entries: tuple[MappingEntry, ...]


def load(path: Path) -> DefaultTables:
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = []
    for section, kind in _SECTIONS.items():
        for key, value in data.get(section, {}).items():
            validate_entry(kind, key, value, f"{path.name}:{section}[{key}]")
            entries.append(MappingEntry(kind, key, value))
    return DefaultTables(Channel(data["channel"]), data["platform"], tuple(entries))


def default_tables() -> list[DefaultTables]:
    """Every channel's defaults, validated (a broken file fails loudly at migration or test time)."""
    return [load(path) for path in sorted(DIRECTORY.glob("*.json"))]
