"""Trigger rules: manager-defined CEL conditions over the customer and the conversation.

A rule (``rules.yaml``, or one saved through the manager API after
:func:`validate_rule`) says *when* — a Common Expression Language condition
over two variables — and *what*: retrieval tags, labels for the rep, agents to
boost, a case library::

    - id: budget-sensitive
      description: 客户对价格敏感
      condition: customer.attributes.budget_sensitive == true
      action: {retrieve_tags: [low_price]}

``customer`` is ``{"attributes": {...}}`` from the request; ``conversation`` is
:class:`Signals` (``scenario``, ``industry``, ``turns``, ``customer_turns``,
``competitors``, ``text``). Conditions compile once (:class:`RuleSet`), and a
rule that does not compile, or reads any other variable, is refused with
:class:`RuleInvalid`. :meth:`RuleSet.evaluate` never raises for run-time
problems: a failing rule is skipped, listed and logged without any values.
Integral numbers compare equal whether a client sent ``65`` or ``65.0`` (see
:mod:`agents.rules.cel`).
"""

from agents.rules.cel import RuleInvalid
from agents.rules.engine import (
    Effects,
    Evaluation,
    RuleSet,
    validate_rule,
)
from agents.rules.model import (
    RULES_FILE,
    SLUG_PATTERN,
    RuleAction,
    RuleDefinition,
    Signals,
    TriggerRule,
    dump_rules,
    load_rules,
)

__all__ = [
    "RULES_FILE",
    "SLUG_PATTERN",
    "Effects",
    "Evaluation",
    "RuleAction",
    "RuleDefinition",
    "RuleInvalid",
    "RuleSet",
    "Signals",
    "TriggerRule",
    "dump_rules",
    "load_rules",
    "validate_rule",
]
