"""The compliance guard: rules as data (rules.yaml), each tied to legal anchors, and legal's
exemplar bank (exemplars.yaml plus what legal adds).

Every draft passes :meth:`ComplianceGuard.enforce` before it reaches a rep: repairable
findings are rewritten with neutral wording, anything else drops the draft.
:mod:`agents.compliance.topics` says which provisions a suggestion's content touches.
"""

from agents.compliance.guard import Checked, ComplianceGuard, Enforced, Violation, build_guard, get_guard

__all__ = ["Checked", "ComplianceGuard", "Enforced", "Violation", "build_guard", "get_guard"]
