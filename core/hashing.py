"""Keyed hashes: the one way identifiers that must not be readable are kept.

A conversation, a customer, a Label Studio user or a data subject's value is
stored only as an HMAC-SHA256 keyed by the installation's secret, so nobody
without the secret can recompute it from a guessed value. The ``purpose`` is
part of the message, so one value hashed for two purposes gives unrelated
digests.
"""

from __future__ import annotations

import hashlib
import hmac

PSEUDONYM_CHARS = 16


def keyed_hash(secret: str, value: str, purpose: str | None, *, chars: int = 64) -> str:
    """HMAC-SHA256 hex of ``purpose:value`` keyed by ``secret``, cut to ``chars``.

    ``purpose=None`` hashes the value alone: erasure fingerprints are made that
    way, and stored tombstones depend on their exact digests.
    """
    message = value if purpose is None else f"{purpose}:{value}"
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()[:chars]


def pseudonym(secret: str, value: str, purpose: str) -> str:
    """The short keyed hash that names ``value`` in the ledger or an import
    (``purpose`` such as ``"conversation"``, ``"customer"``, ``"labelstudio"``)."""
    return keyed_hash(secret, value, purpose, chars=PSEUDONYM_CHARS)
