"""The guard's learned check: a text classifier (:mod:`agents.text_model`) fitted on legal's
labelled sentences (the compliance dev split and the exemplar bank) and on approved wording
(playbook phrasings, won replies) as fair. What no pattern and no exemplar caught is flagged
as the most likely rule when the classifier is at least ``CUTOFF`` sure it is a violation.

The weights ship as ``agents/compliance/guard_model.npz``; ``zhice eval train-guard`` refits
them (dev data only, never held-out)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agents.text_model import TextModel

MODEL_PATH = Path(__file__).with_name("guard_model.npz")
FAIR = "fair"
CUTOFF = 0.8  # chosen by a held-back dev part: +12 points caught, no more false alarms than the patterns alone
WINDOW_CHARS = 400  # the classifier reads the first characters of a draft only: a long one costs no more


class GuardModel(TextModel):
    """``classes`` are rule ids and ``fair``."""

    refit = "refit with `zhice eval train-guard`"

    def violation(self, text: str, cutoff: float = CUTOFF) -> tuple[str, float] | None:
        """(the most likely rule, the chance of any violation) when that chance reaches ``cutoff``."""
        shares = self.shares(text[:WINDOW_CHARS])
        chance = 1.0 - shares.get(FAIR, 0.0)
        if chance < cutoff:
            return None
        return next(label for label in shares if label != FAIR), chance


@lru_cache(maxsize=2)
def load_guard_model(path: Path = MODEL_PATH) -> GuardModel | None:
    """The shipped classifier, or None when none was fitted (patterns and exemplars then decide)."""
    return GuardModel.load(path)
