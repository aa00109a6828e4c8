"""Fitting the guard's classifier (`zhice eval train-guard`): legal's labelled sentences (the
compliance dev split, the shipped exemplars) and approved wording as fair (playbook phrasings,
won replies of the demo pool that pass the rules). Never the held-out split."""

from __future__ import annotations

from agents.compliance import ComplianceGuard
from agents.compliance.classifier import CUTOFF, FAIR, GuardModel
from agents.compliance.exemplars import load_exemplar_file
from agents.playbook import load_playbook, phrasing_meaning
from evals.compliance import load_cases
from evals.model_training import Labelled, cross_validated, described
from knowledge.demo_data import demo_snippets
from knowledge.desensitize.engine import Desensitizer


def examples(desensitizer: Desensitizer, patterns: ComplianceGuard) -> list[Labelled]:
    """Every labelled text the classifier is fitted on."""
    rows = [Labelled(desensitizer.desensitize(c.text).text, c.rule or FAIR, True) for c in load_cases(split="dev")]
    rows += [Labelled(e.text, e.rule if e.verdict == "violation" else FAIR, False) for e in load_exemplar_file().exemplars]
    rows += [Labelled(phrasing_meaning(p), FAIR, False) for move in load_playbook().moves for p in move.phrasings]
    won = [s.reply for s in demo_snippets() if s.outcome == "won"]
    return rows + [Labelled(reply, FAIR, False) for reply in won if not patterns.check(reply)]


def check(rows: list[Labelled]) -> dict[str, float]:
    """The classifier alone, at the shipped cutoff, on held-back dev sentences."""
    fit = lambda texts, labels: GuardModel.fit(texts, labels, fitted_on="cross-validation")  # noqa: E731
    return cross_validated(rows, fit, lambda model, text: model.violation(text, CUTOFF) is not None, FAIR)


def train(rows: list[Labelled], when: str) -> GuardModel:
    """The classifier on every labelled text."""
    return GuardModel.fit([r.text for r in rows], [r.label for r in rows], fitted_on=described(rows, when))
