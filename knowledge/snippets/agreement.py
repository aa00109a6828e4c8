"""Inter-annotator agreement: Cohen's κ per label over the double-labelled snippets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

from sqlmodel import Session, select

from knowledge.snippets.models import Annotation

LABELS = ("outcome", "scenario", "quality", "high_value")


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """κ = (p_o − p_e) / (1 − p_e) for two raters' labels of the same items; None when
    undefined (no items, or both raters used one and the same category throughout)."""
    if len(first) != len(second):
        raise ValueError("both raters must label the same items")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[c] * counts_b[c] for c in counts_a.keys() | counts_b.keys()) / (n * n)
    if expected == 1.0:
        return None
    return (observed - expected) / (1 - expected)


def agreement(session: Session) -> dict[str, dict]:
    """For each label: how many double-labelled items, the share of exact agreement and κ.
    Rater A is each item's first annotator, rater B its second."""
    by_snippet: dict[str, list[Annotation]] = {}
    for annotation in session.exec(select(Annotation).order_by(Annotation.snippet_id, Annotation.id)).all():
        by_snippet.setdefault(annotation.snippet_id, []).append(annotation)
    pairs = [(labels[0], labels[1]) for labels in by_snippet.values() if len(labels) >= 2]
    result = {}
    for label in LABELS:
        first = [getattr(a, label) for a, _ in pairs]
        second = [getattr(b, label) for _, b in pairs]
        kappa = cohen_kappa(first, second)
        result[label] = {
            "items": len(pairs),
            "observed_agreement": round(sum(a == b for a, b in zip(first, second, strict=True)) / len(pairs), 4) if pairs else None,
            "kappa": None if kappa is None else round(kappa, 4),
        }
    return result
