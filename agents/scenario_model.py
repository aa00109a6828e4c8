"""The trained scenario classifier: character n-grams of the customer's recent turns plus
the taxonomy's cue counts, into a multinomial logistic regression.

Inference is plain numpy over the shipped weights (``agents/scenario_model.npz``);
training (``zhice eval train-router``) needs scikit-learn, from the ``train`` extra.
The weights are fitted on the labelled pool and the dev split only, never on held-out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.errors import ConfigError

MODEL_PATH = Path(__file__).with_name("scenario_model.npz")
NGRAMS = (1, 2)
TEXT_TURNS = 3  # the customer's last turns the n-grams read
WINDOW_CHARS = 600  # of those, the most recent characters only: a long message costs no more
_SPACES = re.compile(r"\s\s+")


def model_text(customer_turns: Sequence[str]) -> str:
    """The text the classifier reads: the last turns, most recent characters kept."""
    return "\n".join(customer_turns[-TEXT_TURNS:])[-WINDOW_CHARS:]


def char_ngrams(text: str) -> Counter[str]:
    """Character n-grams as scikit-learn's ``analyzer="char"`` counts them (lowercased, runs of space collapsed)."""
    text = _SPACES.sub(" ", text.lower())
    return Counter(text[i : i + n] for n in range(NGRAMS[0], NGRAMS[1] + 1) for i in range(len(text) - n + 1))


def cue_features(cue_scores: Sequence[float]) -> np.ndarray:
    """Cue scores squashed so that many repeated cues do not drown the text."""
    return np.log1p(np.asarray(cue_scores, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class ScenarioModel:
    """Weights of a fitted classifier: ``classes`` are scenario keys; ``cue_keys`` the order
    of the cue features that follow the n-gram features (the last one is "chased")."""

    classes: tuple[str, ...]
    cue_keys: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (classes, n-grams + cue features)
    intercept: np.ndarray
    fitted_on: str

    def __post_init__(self) -> None:
        words, cues = len(self.vocabulary), len(self.cue_keys)
        if self.idf.shape != (words,) or self.coef.shape != (len(self.classes), words + cues) or self.intercept.shape != (len(self.classes),):
            raise ValueError(f"scenario model weights do not fit together ({len(self.classes)} classes, {words} n-grams, {cues} cue features): refit with `zhice eval train-router`")
        for array in (self.idf, self.coef, self.intercept):
            array.setflags(write=False)  # shared by every request through the cache

    def features(self, text: str, cue_scores: Sequence[float]) -> np.ndarray:
        """TF-IDF (sublinear tf, L2-normalized) of the n-grams, then the cue features."""
        grams = np.zeros(len(self.vocabulary))
        for gram, count in char_ngrams(text).items():
            if (index := self.vocabulary.get(gram)) is not None:
                grams[index] = (1 + math.log(count)) * self.idf[index]
        norm = np.linalg.norm(grams)
        return np.concatenate([grams / norm if norm else grams, cue_features(cue_scores)])

    def probabilities(self, text: str, cue_scores: Sequence[float]) -> dict[str, float]:
        """Each class's probability, highest first."""
        logits = self.coef @ self.features(text, cue_scores) + self.intercept
        exp = np.exp(logits - logits.max())
        shares = exp / exp.sum()
        return dict(sorted(zip(self.classes, shares.tolist(), strict=True), key=lambda item: -item[1]))

    def save(self, path: Path = MODEL_PATH) -> None:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path, classes=np.array(self.classes), cue_keys=np.array(self.cue_keys), vocabulary=np.array(words),
            idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32),
            fitted_on=np.array(self.fitted_on),
        )


@lru_cache(maxsize=4)
def load_scenario_model(path: Path = MODEL_PATH) -> ScenarioModel | None:
    """The shipped classifier, or None when none was fitted (the cue rule then decides);
    ConfigError, naming the fix, when the file is broken."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return ScenarioModel(
                classes=tuple(str(c) for c in data["classes"]),
                cue_keys=tuple(str(c) for c in data["cue_keys"]),
                vocabulary={str(word): index for index, word in enumerate(data["vocabulary"])},
                idf=data["idf"].astype(np.float64),
                coef=data["coef"].astype(np.float64),
                intercept=data["intercept"].astype(np.float64),
                fitted_on=str(data["fitted_on"]),
            )
    except (OSError, ValueError, KeyError) as error:
        raise ConfigError(f"{path} is not a usable scenario model ({error}); refit with `zhice eval train-router`") from error


@dataclass(frozen=True)
class Example:
    """One labelled conversation: its classifier text, its cue scores and its main scenario."""

    text: str
    cue_scores: tuple[float, ...]
    scenario: str
    weight: float = 1.0


def fit(examples: Sequence[Example], cue_keys: Sequence[str], fitted_on: str, regularization: float = 30.0) -> ScenarioModel:
    """Fit the classifier on ``examples`` (scikit-learn, from the ``train`` extra)."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len({example.scenario for example in examples}) < 3:
        raise ValueError("the scenario classifier needs examples of at least three scenarios")
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, lowercase=True)
    grams = vectorizer.fit_transform([example.text for example in examples])
    cues = csr_matrix(np.stack([cue_features(example.cue_scores) for example in examples]))
    model = LogisticRegression(C=regularization, max_iter=5000)
    model.fit(hstack([grams, cues]).tocsr(), [example.scenario for example in examples], sample_weight=[example.weight for example in examples])
    return ScenarioModel(
        classes=tuple(str(c) for c in model.classes_),
        cue_keys=tuple(cue_keys),
        vocabulary={str(word): int(index) for word, index in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float64),
        coef=model.coef_.astype(np.float64),
        intercept=model.intercept_.astype(np.float64),
        fitted_on=fitted_on,
    )
