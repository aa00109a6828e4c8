"""A small text classifier shared by the router and the compliance guard: character
n-grams (TF-IDF, sublinear tf, L2-normalized) plus optional extra features, into a
multinomial logistic regression.

Inference is plain numpy over shipped weights (``.npz``); fitting needs scikit-learn, from
the ``train`` extra. Models are fitted on dev data only, never on held-out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from core.errors import ConfigError

NGRAMS = (1, 2)
_SPACES = re.compile(r"\s\s+")
ModelT = TypeVar("ModelT", bound="TextModel")


def char_ngrams(text: str) -> Counter[str]:
    """Character n-grams as scikit-learn's ``analyzer="char"`` counts them (lowercased, runs of space collapsed)."""
    text = _SPACES.sub(" ", text.lower())
    return Counter(text[i : i + n] for n in range(NGRAMS[0], NGRAMS[1] + 1) for i in range(len(text) - n + 1))


@dataclass(frozen=True, eq=False)
class TextModel:
    """Weights of a fitted classifier; ``extra_keys`` name the features after the n-grams."""

    classes: tuple[str, ...]
    extra_keys: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (classes, n-grams + extra features)
    intercept: np.ndarray
    fitted_on: str

    refit = "refit it"  # how to make a new one, named in errors

    def __post_init__(self) -> None:
        words, extras = len(self.vocabulary), len(self.extra_keys)
        if self.idf.shape != (words,) or self.coef.shape != (len(self.classes), words + extras) or self.intercept.shape != (len(self.classes),):
            raise ValueError(f"model weights do not fit together ({len(self.classes)} classes, {words} n-grams, {extras} extra features): {self.refit}")
        for array in (self.idf, self.coef, self.intercept):
            array.setflags(write=False)  # shared by every request through the cache

    def shares(self, text: str, extras: Sequence[float] = ()) -> dict[str, float]:
        """Each class's probability, highest first (only the n-grams present are touched)."""
        found = [(index, count) for gram, count in char_ngrams(text).items() if (index := self.vocabulary.get(gram)) is not None]
        logits = self.intercept.copy()
        if found:
            columns = np.fromiter((index for index, _ in found), dtype=np.int64, count=len(found))
            weights = np.fromiter((1 + math.log(count) for _, count in found), dtype=np.float64, count=len(found)) * self.idf[columns]
            logits += self.coef[:, columns] @ (weights / np.linalg.norm(weights))
        if len(self.extra_keys):
            logits += self.coef[:, len(self.vocabulary) :] @ np.asarray(extras, dtype=np.float64)
        exp = np.exp(logits - logits.max())
        shares = exp / exp.sum()
        return dict(sorted(zip(self.classes, shares.tolist(), strict=True), key=lambda item: -item[1]))

    def save(self, path: Path) -> None:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path, classes=np.array(self.classes), extra_keys=np.array(self.extra_keys), vocabulary=np.array(words),
            idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32),
            fitted_on=np.array(self.fitted_on),
        )

    @classmethod
    def load(cls: type[ModelT], path: Path) -> ModelT | None:
        """The model in ``path``, None when there is none; ConfigError, naming the fix, when the file is broken."""
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                extra_keys = data["extra_keys"] if "extra_keys" in data else data["cue_keys"]  # router models before 2026-12-05
                return cls(
                    classes=tuple(str(c) for c in data["classes"]),
                    extra_keys=tuple(str(c) for c in extra_keys),
                    vocabulary={str(word): index for index, word in enumerate(data["vocabulary"])},
                    idf=data["idf"].astype(np.float64),
                    coef=data["coef"].astype(np.float64),
                    intercept=data["intercept"].astype(np.float64),
                    fitted_on=str(data["fitted_on"]),
                )
        except (OSError, ValueError, KeyError) as error:
            raise ConfigError(f"{path} is not a usable model ({error}); {cls.refit}") from error

    @classmethod
    def fit(
        cls: type[ModelT],
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        extras: np.ndarray | None = None,
        extra_keys: Sequence[str] = (),
        weights: Sequence[float] | None = None,
        fitted_on: str,
        regularization: float = 30.0,
    ) -> ModelT:
        """Fit on ``texts`` and their ``labels`` (scikit-learn, from the ``train`` extra)."""
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, lowercase=True)
        features = vectorizer.fit_transform(texts)
        if extras is not None:
            features = hstack([features, csr_matrix(extras)]).tocsr()
        model = LogisticRegression(C=regularization, max_iter=5000)
        model.fit(features, list(labels), sample_weight=weights)
        return cls(
            classes=tuple(str(c) for c in model.classes_),
            extra_keys=tuple(extra_keys),
            vocabulary={str(word): int(index) for word, index in vectorizer.vocabulary_.items()},
            idf=vectorizer.idf_.astype(np.float64),
            coef=model.coef_.astype(np.float64),
            intercept=model.intercept_.astype(np.float64),
            fitted_on=fitted_on,
        )
