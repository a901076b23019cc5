"""The platform's Ed25519 audit key: signs checkpoints and receipts; its public half lets anyone verify them."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class KeyFormatError(ValueError):
    """A key is neither PEM nor the base64 of 32 raw bytes."""


def load_private_key(text: str) -> Ed25519PrivateKey:
    """PEM (PKCS#8) or base64 of the 32-byte raw seed."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFormatError("The PEM key is not an Ed25519 private key.")
        return key
    return Ed25519PrivateKey.from_private_bytes(_raw32(text, what="private key"))


def load_public_key(text: str) -> Ed25519PublicKey:
    """PEM (SubjectPublicKeyInfo) or base64 of the 32 raw bytes, as printed by `manage.py audit_public_key`."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFormatError("The PEM key is not an Ed25519 public key.")
        return key
    return Ed25519PublicKey.from_public_bytes(_raw32(text, what="public key"))


def _raw32(text: str, *, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"The {what} is neither PEM nor base64.") from exc
    if len(raw) != 32:
        raise KeyFormatError(f"The {what} must be 32 bytes once base64-decoded (got {len(raw)}).")
    return raw


@functools.cache
def signing_key() -> Ed25519PrivateKey:
    """From AUDIT_SIGNING_KEY (env) or else AUDIT_SIGNING_KEY_FILE; settings generate the file for the quick start."""
    inline: str = getattr(settings, "AUDIT_SIGNING_KEY", "")
    try:
        if inline:
            return load_private_key(inline)
        path = Path(getattr(settings, "AUDIT_SIGNING_KEY_FILE", ""))
        if not path.is_file():
            raise ImproperlyConfigured(
                f"Audit signing key file {path} is missing: set AUDIT_SIGNING_KEY_FILE to an Ed25519 key "
                "(PEM or base64 of 32 bytes) or AUDIT_SIGNING_KEY to the key itself."
            )
        return load_private_key(path.read_text())
    except KeyFormatError as exc:
        raise ImproperlyConfigured(f"Audit signing key: {exc}") from exc


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_raw(key: Ed25519PublicKey | None = None) -> bytes:
    return (key or public_key()).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PublicKey | None = None) -> str:
    return base64.b64encode(public_key_raw(key)).decode()


def public_key_pem(key: Ed25519PublicKey | None = None) -> str:
    return (
        (key or public_key())
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def key_id(key: Ed25519PublicKey | None = None) -> str:
    """First 16 hex digits of SHA-256 over the raw public key: names the key in signed documents."""
    return hashlib.sha256(public_key_raw(key)).hexdigest()[:16]


def sign(message: bytes) -> str:
    return base64.b64encode(signing_key().sign(message)).decode()


def verify(message: bytes, signature_b64: str, key: Ed25519PublicKey | None = None) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        (key or public_key()).verify(signature, message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
