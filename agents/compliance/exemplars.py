"""Legal's exemplar bank: sentences that break a rule (and fair ones close to them), by meaning.

A draft sentence is flagged as rule R when its nearest violation exemplar (of R) is at least
``similarity`` close and closer by ``margin`` than the nearest fair exemplar: a sentence
legal adds is caught from the next request on, with no code change. The shipped exemplars
live in exemplars.yaml; legal's additions in the ``compliance_exemplar`` table, read again
every few seconds (at once on the instance that took the addition).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Literal

import numpy as np
import regex as re
import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge.embeddings import Embedder

EXEMPLARS_FILE = Path(__file__).with_name("exemplars.yaml")
REFRESH_SECONDS = 2.0
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]?")
_CACHE_SIZE = 4096


class Exemplar(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=4, max_length=300)
    rule: str
    verdict: Literal["violation", "fair"]


class Cutoff(BaseModel):
    """How close counts as "the same thing said", for one embedder (cosine similarity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    similarity: float = Field(ge=0.0, le=1.0)
    margin: float = Field(ge=0.0, le=1.0)


class ExemplarFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    cutoffs: dict[str, Cutoff] = Field(min_length=1)
    exemplars: tuple[Exemplar, ...]


@dataclass(frozen=True)
class ExemplarMatch:
    rule: str
    exemplar: str
    similarity: float
    start: int
    end: int


@lru_cache(maxsize=1)
def load_exemplar_file(path: Path = EXEMPLARS_FILE) -> ExemplarFile:
    with path.open(encoding="utf-8") as handle:
        return ExemplarFile.model_validate(yaml.safe_load(handle))


class _Vectors:
    """Sentence vectors, cached (drafts repeat: the same move, the same won reply)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder, self._cache, self._lock = embedder, OrderedDict[str, np.ndarray](), Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, self._embedder.queries(missing), strict=True))
            with self._lock:
                for text in missing:
                    self._cache[text] = known[text]
                    if len(self._cache) > _CACHE_SIZE:
                        self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts])


class ExemplarBank:
    """The shipped exemplars plus legal's additions, embedded once; :meth:`nearest` per draft."""

    def __init__(self, embedder: Embedder, shipped: ExemplarFile | None = None, load_added: Callable[[], list[Exemplar]] | None = None) -> None:
        shipped = shipped or load_exemplar_file()
        if embedder.name not in shipped.cutoffs:
            raise ValueError(f"exemplars.yaml has no cutoff for the {embedder.name!r} embedder: add one under cutoffs")
        self._cutoff, self._shipped, self._load_added = shipped.cutoffs[embedder.name], shipped.exemplars, load_added
        self._vectors = _Vectors(embedder)
        self._lock = Lock()
        self._refreshed = float("-inf")
        self._index: tuple[tuple[Exemplar, ...], np.ndarray] = ((), np.zeros((0, embedder.dim), np.float32))

    def check_rules(self, rules: set[str]) -> None:
        unknown = {e.rule for e in self._shipped} - rules
        if unknown:
            raise ValueError(f"exemplars.yaml names rules that do not exist: {sorted(unknown)}")

    @property
    def shipped(self) -> tuple[Exemplar, ...]:
        return self._shipped

    def refresh(self) -> None:
        """Read legal's additions again now (the instance that stored one calls this)."""
        exemplars = (*self._shipped, *(self._load_added() if self._load_added else ()))
        vectors = self._vectors([e.text for e in exemplars]) if exemplars else self._index[1]
        with self._lock:
            self._index, self._refreshed = (tuple(exemplars), vectors), time.monotonic()

    def _maybe_refresh(self) -> None:
        if time.monotonic() - self._refreshed > REFRESH_SECONDS and (self._load_added is not None or not self._index[0]):
            self.refresh()

    def nearest(self, text: str) -> ExemplarMatch | None:
        """The violation exemplar a sentence of ``text`` says again, if any (the closest)."""
        self._maybe_refresh()
        exemplars, vectors = self._index
        spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if len(m.group().strip()) >= 4]
        if not exemplars or not spans:
            return None
        similarities = self._vectors([text[s:e].strip() for s, e in spans]) @ vectors.T
        violation = np.array([e.verdict == "violation" for e in exemplars])
        best: ExemplarMatch | None = None
        for (start, end), row in zip(spans, similarities, strict=True):
            if not violation.any():
                break
            closest = int(np.argmax(np.where(violation, row, -1.0)))
            fair = float(row[~violation].max()) if (~violation).any() else -1.0
            score = float(row[closest])
            if score >= self._cutoff.similarity and score - fair >= self._cutoff.margin and (best is None or score > best.similarity):
                best = ExemplarMatch(exemplars[closest].rule, exemplars[closest].id, round(score, 3), start, end)
        return best
