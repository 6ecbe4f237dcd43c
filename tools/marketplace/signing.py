"""Webhook signatures as the platforms send them: HMAC-SHA256 of the raw body under the shared secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign_hex(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def sign_base64(secret: str, payload: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), payload, hashlib.sha256).digest()).decode()
