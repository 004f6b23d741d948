"""The fine-tuning API key at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the secret.

The encryption key is derived with HKDF-SHA256 from PAIRWISE_SECRET_KEY, so the database alone never
reveals the API key. Changing the secret makes saved keys unreadable: the admin enters the key again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import get_settings
from app.errors import PairwiseError

_SALT = b"pairwise/training/v1"
_INFO = b"fine-tuning api key"
REDACTED = "[redacted]"


class SecretUnreadableError(PairwiseError):
    """The saved key was encrypted under another secret key."""


def _fernet(secret: str | None = None) -> Fernet:
    secret = secret if secret is not None else get_settings().resolved_secret_key()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str, *, secret: str | None = None) -> str:
    return _fernet(secret).encrypt(plain.encode()).decode("ascii")


def decrypt(token: str, *, secret: str | None = None) -> str:
    try:
        return _fernet(secret).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadableError(
            "The saved fine-tuning API key cannot be decrypted (PAIRWISE_SECRET_KEY changed?). "
            "An admin must enter the key again in Training settings."
        ) from exc


def last4(plain: str) -> str:
    return plain[-4:] if len(plain) >= 8 else ""


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret (and of its long prefixes, as providers echo
    `sk-abc...`) replaced by a marker."""
    for secret in secrets:
        if not secret or len(secret) < 8:
            continue
        text = text.replace(secret, REDACTED)
        # Providers echo keys partly masked: "sk-proj-abcd****wxyz". Hide any 12+ character slice.
        if len(secret) >= 16:
            for size in (len(secret) - 4, 12):
                for start in range(0, len(secret) - size + 1):
                    piece = secret[start : start + size]
                    if piece in text:
                        text = text.replace(piece, REDACTED)
    return text


def instance_id() -> str:
    """A stable, non-secret id of this installation (from the secret key), so two installations sharing
    one provider account never mistake each other's runs for their own."""
    secret = get_settings().resolved_secret_key().encode()
    return hmac.new(secret, b"pairwise instance id", hashlib.sha256).hexdigest()[:16]
