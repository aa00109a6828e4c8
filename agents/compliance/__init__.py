"""The compliance guard: rules as data (rules.yaml), each tied to legal anchors.

Every draft passes :meth:`ComplianceGuard.enforce` before it reaches a rep:
repairable findings are rewritten with neutral wording, anything else drops
the draft. :meth:`ComplianceGuard.attestations` says which anchors a
suggestion of an agent was checked against, and why it complies.
"""

from agents.compliance.guard import (
    Attestation,
    ComplianceGuard,
    Enforced,
    Violation,
    get_guard,
)

__all__ = ["Attestation", "ComplianceGuard", "Enforced", "Violation", "get_guard"]
