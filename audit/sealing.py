"""Crypto-shredding: the ledger's conversation text is sealed under a per-conversation
data key, so erasing a data subject can make it unreadable without touching the chain.

Each conversation (its pseudonym) gets a random 256-bit data key the first time one of
its events is appended; the key is stored wrapped (AES-GCM) under a key derived from the
master key (``ZHICE_LEDGER_MASTER_KEY``), in ``ledger_key``, outside the chain. A sealed
field is the string ``sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`` and the
chain hashes that string. The erasure fingerprints of the values found in a conversation
point at its key (``ledger_key_print``); erasing a value overwrites the wrapped key of
every conversation it appears in, and their sealed fields read as ``已删除`` from then on.

    keyring = keyring_for(settings)
    ledger.append(session, shown, actor=actor, sealer=keyring.sealer(session, conversation, prints))
    opener = keyring.opener(session)
    opener.event(row)            # the event with its sealed fields readable (or 已删除)
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import regex as re
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, select

from audit import events
from audit.events import LedgerPayload
from audit.key_table import LedgerKey, LedgerKeyPrint
from core import clock
from core.settings import Settings

ERASED = "已删除"  # what a field sealed under a shredded key reads as
UNREADABLE = "无法解密"  # a key that does not open under this master key (it was changed)
_PREFIX = "sealed:v1:"
_SEALED = re.compile(r"sealed:v1:([0-9a-f]{32}):([A-Za-z0-9_-]+)")
_NONCE_BYTES = 12


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and _SEALED.fullmatch(value) is not None


def key_id_of(value: str) -> str | None:
    """The data key a sealed string was sealed under, or None for plain text."""
    match = _SEALED.fullmatch(value)
    return match.group(1) if match else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encrypt(aead: AESGCM, data: bytes, key_id: str) -> str:
    """base64url(nonce ‖ ciphertext ‖ tag), the key id as associated data."""
    nonce = os.urandom(_NONCE_BYTES)
    return _b64(nonce + aead.encrypt(nonce, data, key_id.encode()))


def _decrypt(aead: AESGCM, text: str, key_id: str) -> bytes | None:
    """What :func:`_encrypt` sealed, or None when ``aead`` is not the key it was sealed with."""
    raw = _unb64(text)
    try:
        return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], key_id.encode())
    except InvalidTag:
        return None


class Sealer:
    """Seals text under one conversation's data key."""

    def __init__(self, key_id: str, key: bytes) -> None:
        self.key_id = key_id
        self._aead = AESGCM(key)

    def seal(self, text: str) -> str:
        return f"{_PREFIX}{self.key_id}:{_encrypt(self._aead, text.encode('utf-8'), self.key_id)}"


class Opener:
    """Reads sealed fields back, for one unit of work (a report, an export, an action).

    Keys are looked up in the database once per opener and never kept longer, so a key
    shredded by another instance is honoured by the next opener."""

    def __init__(self, session: Session, keyring: Keyring) -> None:
        self._session, self._keyring = session, keyring
        self._keys: dict[str, AESGCM | str] = {}  # a key, or what its fields read as without one

    def open(self, value: str) -> str:
        """The plain text of a sealed string; ``已删除`` when its key was shredded; plain
        text (rows written before sealing) as it is."""
        match = _SEALED.fullmatch(value)
        if match is None:
            return value
        key_id, body = match.groups()
        if key_id not in self._keys:
            self._keys[key_id] = self._key(key_id)
        aead = self._keys[key_id]
        if isinstance(aead, str):
            return aead
        plain = _decrypt(aead, body, key_id)
        return plain.decode("utf-8") if plain is not None else UNREADABLE

    def _key(self, key_id: str) -> AESGCM | str:
        row = self._session.get(LedgerKey, key_id)
        if row is None:
            return UNREADABLE
        if row.wrapped is None:
            return ERASED
        key = self._keyring.unwrap(row)
        return AESGCM(key) if key is not None else UNREADABLE

    def payload(self, kind: str, payload_text: str) -> dict[str, Any]:
        """A stored payload as a dict with its sealed fields opened."""
        data = json.loads(payload_text)
        model = events.EVENTS.get(kind)
        return model.map_sealed(data, self.open) if model is not None else data

    def event(self, kind: str, payload_text: str) -> LedgerPayload:
        """A stored payload parsed as its model, with its sealed fields opened."""
        return events.parse_data(kind, self.payload(kind, payload_text))


class Keyring:
    """Data keys of the ledger's conversations, wrapped by the master key."""

    def __init__(self, master_key: str) -> None:
        wrapping = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"zhice ledger data keys v1")
        self._kek = AESGCM(wrapping.derive(master_key.encode("utf-8")))

    def sealer(self, session: Session, conversation: str, fingerprints: Iterable[str] = ()) -> Sealer:
        """The conversation's live data key (made on first use), with ``fingerprints`` of
        the values seen in it pointing at that key. Call inside the append's write session.

        A conversation that was erased, or text holding an erased value, is sealed under a
        key that is never stored: it reads 已删除 from the start, so neither the rest of an
        answer in flight nor a later turn brings erased text back."""
        prints = set(fingerprints)
        erased = self._erased_key(session, conversation, prints)
        if erased is not None:
            return Sealer(erased, AESGCM.generate_key(bit_length=256))  # the key is dropped at once
        rows = session.exec(
            select(LedgerKey).where(LedgerKey.conversation == conversation, LedgerKey.wrapped.is_not(None)).order_by(LedgerKey.created_at.desc())
        ).all()
        # a key wrapped under another master key (ZHICE_LEDGER_MASTER_KEY changed) stays as it
        # is, readable again if that key returns; the conversation goes on under a new one
        row, key = next(((row, key) for row in rows if (key := self.unwrap(row)) is not None), (None, None))
        if row is None:
            row, key = self._new_key(session, conversation)
        if prints:
            known = set(session.exec(select(LedgerKeyPrint.fingerprint).where(LedgerKeyPrint.key_id == row.id, LedgerKeyPrint.fingerprint.in_(prints))).all())
            session.add_all(LedgerKeyPrint(fingerprint=print_, key_id=row.id) for print_ in sorted(prints - known))
            session.flush()
        return Sealer(row.id, key)

    def _new_key(self, session: Session, conversation: str, *, shredded: bool = False) -> tuple[LedgerKey, bytes]:
        """A data key for ``conversation``; ``shredded``: stored without it (text sealed under it
        is unreadable from the start)."""
        key_id, key = uuid.uuid4().hex, AESGCM.generate_key(bit_length=256)
        wrapped = None if shredded else _encrypt(self._kek, key, key_id)
        now = clock.now()
        row = LedgerKey(id=key_id, conversation=conversation, wrapped=wrapped, created_at=now, shredded_at=now if shredded else None)
        session.add(row)
        session.flush()
        return row, key

    def _erased_key(self, session: Session, conversation: str, prints: set[str]) -> str | None:
        """The id of a shredded key this text belongs under: the conversation's own, or (for
        an erased value seen in another conversation) a new one, shredded from birth."""
        own = session.exec(select(LedgerKey.id).where(LedgerKey.conversation == conversation, LedgerKey.wrapped.is_(None))).first()
        if own is not None:
            return own
        if not prints:
            return None
        erased_value = session.exec(
            select(LedgerKeyPrint.key_id).join(LedgerKey, LedgerKey.id == LedgerKeyPrint.key_id)
            .where(LedgerKeyPrint.fingerprint.in_(prints), LedgerKey.wrapped.is_(None))
        ).first()
        return None if erased_value is None else self._new_key(session, conversation, shredded=True)[0].id

    def conversation_of(self, session: Session, sealed: str) -> str | None:
        """The conversation whose key sealed ``sealed`` (to seal a later event of it alike)."""
        key_id = key_id_of(sealed)
        row = session.get(LedgerKey, key_id) if key_id else None
        return row.conversation if row else None

    def opener(self, session: Session) -> Opener:
        return Opener(session, self)

    def shred(self, session: Session, fingerprints: Iterable[str]) -> list[str]:
        """Destroy the data key of every conversation any of ``fingerprints`` appeared in;
        return their ids. The key rows stay (as shredded) with their fingerprints, which
        mark the erased values: text holding one later is sealed shredded from the start."""
        prints = list(fingerprints)
        ids = sorted(set(session.exec(select(LedgerKeyPrint.key_id).where(LedgerKeyPrint.fingerprint.in_(prints))).all())) if prints else []
        if not ids:
            return []
        now = clock.now()
        shredded = []
        for row in session.exec(select(LedgerKey).where(LedgerKey.id.in_(ids), LedgerKey.wrapped.is_not(None))).all():
            row.wrapped, row.shredded_at = None, now
            session.add(row)
            shredded.append(row.id)
        session.flush()
        return sorted(shredded)

    def unwrap(self, row: LedgerKey) -> bytes | None:
        """The data key of ``row``; None when shredded or wrapped under another master key."""
        return None if row.wrapped is None else _decrypt(self._kek, row.wrapped, row.id)


@lru_cache(maxsize=4)
def get_keyring(master_key: str) -> Keyring:
    """The process's keyring for ``master_key`` (the derivation is done once)."""
    return Keyring(master_key)


def keyring_for(settings: Settings) -> Keyring:
    """The keyring of the installation's master key (ZHICE_LEDGER_MASTER_KEY)."""
    return get_keyring(settings.ledger_master_key.get_secret_value())
