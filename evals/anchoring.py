"""Does a suggestion that talks about a governed subject cite the provision that governs it?

An independent reading (not agents/compliance/topics.yaml): a few unambiguous words per
subject, and the anchors that govern it. Also: agents whose suggestions all carry one and
the same anchor set (a blanket, not a basis).
"""

from __future__ import annotations

from collections.abc import Iterable

import regex as re

GOVERNED = {
    "违约金": (re.compile(r"违约金"), {"cc-penalty"}),
    "定金": (re.compile(r"定金"), {"cc-deposit", "cc-deposit-rules"}),
    "付款": (re.compile(r"付款|账期|尾款|预付款|月结|回款"), {"sme-payment", "cc-gap-fill"}),
    "知识产权": (re.compile(r"知识产权|著作权|源代码|源码"), {"copyright-commissioned", "cc-commissioned-dev"}),
    "竞品": (None, {"ad-disparage", "aucl-disparage"}),
}


def anchoring(suggestions: Iterable[tuple[str, str, frozenset[str]]], rivals: Iterable[str]) -> dict[str, object]:
    """``suggestions``: (agent, text, anchor ids). The share of governed-subject suggestions
    citing a governing provision, per subject, and the agents with one identical anchor set."""
    rival = re.compile("|".join(re.escape(r) for r in sorted(rivals, key=len, reverse=True)) + "|友商|竞品") if rivals else re.compile("友商|竞品")
    rows = list(suggestions)
    by_subject: dict[str, list[int]] = {}
    for _agent, text, anchors in rows:
        for subject, (pattern, governing) in GOVERNED.items():
            if (pattern or rival).search(text):
                by_subject.setdefault(subject, [0, 0])[1] += 1
                by_subject[subject][0] += bool(anchors & governing)
    cited, total = sum(c for c, _ in by_subject.values()), sum(t for _, t in by_subject.values())
    sets: dict[str, set[frozenset[str]]] = {}
    counts: dict[str, int] = {}
    for agent, _text, anchors in rows:
        sets.setdefault(agent, set()).add(anchors)
        counts[agent] = counts.get(agent, 0) + 1
    return {
        "governed_suggestions": total,
        "governing_cited": round(cited / total, 3) if total else None,
        "governing_by_subject": {s: f"{c}/{t}" for s, (c, t) in sorted(by_subject.items())},
        "agents_with_one_anchor_set": sorted(a for a, s in sets.items() if len(s) == 1 and counts[a] > 1),
    }
