"""API key format: tmk_<prefix>_<secret>. The prefix is public (lookup), the secret is only ever hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "tmk"


@dataclass(frozen=True)
class KeyParts:
    prefix: str
    secret: str


def key_generate() -> tuple[str, KeyParts]:
    parts = KeyParts(prefix=secrets.token_hex(6), secret=secrets.token_urlsafe(32))
    return f"{KEY_PREFIX}_{parts.prefix}_{parts.secret}", parts


def key_parse(raw: str) -> KeyParts | None:
    head, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if head != KEY_PREFIX or not prefix or not secret:
        return None
    return KeyParts(prefix=prefix, secret=secret)


def secret_hash(secret: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored_hash)
