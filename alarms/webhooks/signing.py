"""Secrets and signatures in the Standard Webhooks form, through the `standardwebhooks` package."""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_problem(secret: str) -> str:
    """Why a secret cannot be used (empty when it can): whsec_ then base64 of 24 to 64 random bytes."""
    if not secret.startswith(PREFIX):
        return "must start with whsec_ followed by base64, e.g. whsec_" + base64.b64encode(b"\0" * 24).decode()
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return "after whsec_ must come standard base64 (A-Z a-z 0-9 + / =)"
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        return f"must hold {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes of key; this one holds {len(key)}"
    return ""


def signed_headers(secret: str, msg_id: str, when: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt (the timestamp is the attempt's own)."""
    signature = Webhook(secret).sign(msg_id, when, body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())), "webhook-signature": signature}
