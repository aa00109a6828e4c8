"""The contract reviewer's learned check: a text classifier (:mod:`agents.text_model`) fitted
on labelled contract terms (the contract dev split, formal and chat, and the clause library).
A clause no rule fires on is given the most likely risk type when the classifier is at least
``CUTOFF`` sure it is risky.

The weights ship as ``agents/contract_risk/contract_model.npz``; ``zhice eval train-contracts``
refits them (dev data only, never held-out)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from agents.text_model import TextModel

MODEL_PATH = Path(__file__).with_name("contract_model.npz")
NONE = "none"
CUTOFF = 0.9  # chosen on a held-back dev part: more risks recognised, no more false alarms than the rules alone
WINDOW_CHARS = 400


class ContractModel(TextModel):
    """``classes`` are risk types and ``none``."""

    refit = "refit with `zhice eval train-contracts`"

    def risk(self, clause: str, cutoff: float = CUTOFF) -> str | None:
        """The most likely risk type when the chance of any risk reaches ``cutoff``."""
        shares = self.shares(clause[:WINDOW_CHARS])
        if 1.0 - shares.get(NONE, 0.0) < cutoff:
            return None
        return next(label for label in shares if label != NONE)


@lru_cache(maxsize=2)
def load_contract_model(path: Path = MODEL_PATH) -> ContractModel | None:
    """The shipped classifier, or None when none was fitted (the rules alone then decide)."""
    return ContractModel.load(path)
