"""Chinese PII desensitization on Presidio: the one entry point every package calls.

    from knowledge.desensitize import desensitize
    result = desensitize("王总，我手机 138 0013 8000")
    result.text        # "<PERSON_1>总，我手机 <CN_MOBILE_1>"

Fully offline: our own recognizer registry and a LAC-based NLP engine; the
public-suffix list that Presidio's URL/email code would fetch is switched off
before Presidio is imported.
"""

from __future__ import annotations

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from functools import lru_cache  # noqa: E402

from knowledge.desensitize.config import load_name_data, load_recognizer_set  # noqa: E402
from knowledge.desensitize.engine import Desensitizer, build_analyzer  # noqa: E402
from knowledge.desensitize.lac_engine import LacNlpEngine  # noqa: E402
from knowledge.desensitize.pseudonyms import Desensitized, Entity, Pseudonyms  # noqa: E402

__all__ = ["Desensitized", "Desensitizer", "Entity", "Pseudonyms", "desensitize", "get_desensitizer"]


@lru_cache(maxsize=4)
def get_desensitizer(secret: str) -> Desensitizer:
    """The process's desensitizer for ``secret`` (LAC and the analyzer are built once)."""
    recognizers = load_recognizer_set()
    analyzer = build_analyzer(recognizers, load_name_data(), _nlp_engine())
    return Desensitizer(analyzer, recognizers, secret)


@lru_cache(maxsize=1)
def _nlp_engine() -> LacNlpEngine:
    engine = LacNlpEngine()
    engine.load()
    return engine


def desensitize(text: str, pseudonyms: Pseudonyms | None = None) -> Desensitized:
    """Desensitize ``text`` with the configured secret; see :class:`Desensitizer`."""
    from core.settings import get_settings

    return get_desensitizer(get_settings().secret_key.get_secret_value()).desensitize(text, pseudonyms)
