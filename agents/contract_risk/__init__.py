"""The contract risk agent: risky clauses from our party's side (default 乙方, the seller),
each with an explanation, a proposed counter-clause and legal anchors. Rules are data (rules.yaml)."""

from agents.contract_risk.detector import (
    ContractReviewer,
    Risk,
    get_reviewer,
    split_clauses,
)

__all__ = ["ContractReviewer", "Risk", "get_reviewer", "split_clauses"]
