"""Validation of free text fields: trimmed, bounded, no control characters, any plane of Unicode kept."""

from __future__ import annotations

import unicodedata

from shared.kernel.errors import InvalidArgument

# Cc are control characters (NUL cannot even be stored in PostgreSQL text); Cs are lone surrogates.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})


def clean_text(field: str, value: str, *, max_length: int, required: bool = False) -> str:
    """``value`` without surrounding whitespace, or InvalidArgument naming ``field``.

    Length counts code points, so "𠮷" (outside the BMP) is one character, as a reader counts it.
    """
    text = value.strip()
    if required and not text:
        raise InvalidArgument.field(field, "is required")
    if len(text) > max_length:
        raise InvalidArgument.field(field, f"must be at most {max_length} characters")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in text):
        raise InvalidArgument.field(field, "must not contain control characters")
    return text
