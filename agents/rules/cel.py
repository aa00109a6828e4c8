"""The celpy glue: compile a condition once, convert inputs to CEL values, run a program.

Numbers. JSON has one number type, CEL two (int, double), and celpy 0.5.0 refuses
most mixed comparisons (``65.0 == 65`` and ``65 < 70.0`` are errors, though
``65.0 < 70`` happens to work). So that a rule does not depend on how a client
serialised a number:

- input numbers that are integral (``65`` and ``65.0``) become CEL ints, the
  others doubles; ints outside int64 become doubles rather than failing every rule;
- ``==, !=, <, <=, >, >=`` between an int, a uint and a double compare by numeric
  value, as the CEL specification's heterogeneous comparisons do (``x == 65``,
  ``x < 70.0``, ``70 > x`` all work). Arithmetic keeps CEL's typing: ``65.0 / 2``
  is the int division ``32``, and ``x + 0.5`` with an int ``x`` is an error.

Equality. As the CEL specification (and cel-go) has it, ``==`` between values of
different types is false rather than an error (celpy 0.5.0 raises for ``1 ==
true`` but answers false for ``"yes" == true``). Ordering different types
(``"低" < 70``) stays an error.

The runner is celpy's interpreter. Its compiled runner is ~5x faster but, in
0.5.0, ``has(a) && has(b)`` raises (its ``has`` yields a Python bool that
``&&`` refuses), it evaluates through module globals (not thread-safe), it
ignores the comparison overrides above, and it needs the process-wide parser
singleton to build its own tree class. celpy logs operand values (customer
data) at DEBUG and unexpected errors with their arguments at ERROR, so its
logger is capped at CRITICAL.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import (
    CELEvalError,
    bool_eq,
    bool_ge,
    bool_gt,
    bool_le,
    bool_lt,
    bool_ne,
)

from core.errors import Unprocessable

VARIABLES = frozenset({"customer", "conversation"})
# identifiers CEL itself gives meaning to (type denotations, as in `type(x) == string`)
_CEL_TYPE_NAMES = frozenset({"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"})
# macros bind their leading identifier arguments as variables over the last one
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter", "reduce"})
_INT64 = (-(2**63), 2**63 - 1)
# celpy's interpreter recurses per tree level and overflows near 600 (each nested
# parenthesis adds about 10); refusing at 400 keeps evaluation from ever getting there
_MAX_DEPTH = 400


class RuleInvalid(Unprocessable):
    """A trigger rule that cannot be used: its condition does not compile or names unknown variables."""

    slug = "rule-invalid"
    title = "触发规则无效"


# --- numbers -----------------------------------------------------------------

_NUMBERS = (celtypes.IntType, celtypes.UintType, celtypes.DoubleType)  # BoolType is none of them


def _plain(value: Any) -> int | float:
    return float(value) if isinstance(value, float) else int(value)


def _by_value(compare: Callable[[Any, Any], bool], celpy_operator: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def operator_function(left: Any, right: Any) -> Any:
        if isinstance(left, _NUMBERS) and isinstance(right, _NUMBERS) and type(left) is not type(right):
            return celtypes.BoolType(compare(_plain(left), _plain(right)))
        return celpy_operator(left, right)

    operator_function.__name__ = celpy_operator.__name__
    return operator_function


def _equality(compare: Callable[[Any, Any], bool], celpy_operator: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    by_value = _by_value(compare, celpy_operator)

    def operator_function(left: Any, right: Any) -> Any:
        try:
            return by_value(left, right)
        except TypeError:  # values of different types are unequal (CEL's heterogeneous equality)
            return celtypes.BoolType(compare is operator.ne)

    operator_function.__name__ = celpy_operator.__name__
    return operator_function


_OPERATORS = {
    "_==_": _equality(operator.eq, bool_eq),
    "_!=_": _equality(operator.ne, bool_ne),
    "_<_": _by_value(operator.lt, bool_lt),
    "_<=_": _by_value(operator.le, bool_le),
    "_>_": _by_value(operator.gt, bool_gt),
    "_>=_": _by_value(operator.ge, bool_ge),
}


def to_cel(value: Any) -> celtypes.Value:
    """A JSON-like Python value as a CEL value (integral numbers as ints, see the module docstring).

    Raises ``TypeError`` for values JSON cannot hold (besides datetimes and timedeltas).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value) if _INT64[0] <= value <= _INT64[1] else celtypes.DoubleType(value)
    if isinstance(value, float):
        integral = value.is_integer() and _INT64[0] <= value <= _INT64[1]
        return celtypes.IntType(int(value)) if integral else celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, Mapping):
        return celtypes.MapType({to_cel(key): to_cel(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return celtypes.ListType([to_cel(item) for item in value])
    if isinstance(value, (datetime, timedelta)):
        return celpy.json_to_cel(value)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


# --- compile -----------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> celpy.Environment:
    logging.getLogger("celpy").setLevel(logging.CRITICAL)  # its DEBUG and ERROR lines carry values
    return celpy.Environment()  # note: celpy sets sys.setrecursionlimit(2500) here


def _bare_identifier(tree: lark.Tree) -> str | None:
    while isinstance(tree, lark.Tree) and len(tree.children) == 1:
        if tree.data == "ident":
            return str(tree.children[0])
        tree = tree.children[0]
    return None


def _inspect(ast: lark.Tree) -> tuple[set[str], int]:
    """The identifiers the expression reads from outside (not macro variables, not field
    names), and the depth of its tree; iterative, as a deep tree is what it looks for."""
    names: set[str] = set()
    deepest = 0
    stack: list[tuple[lark.Tree, frozenset[str], int]] = [(ast, frozenset(), 1)]
    while stack:
        tree, bound, depth = stack.pop()
        deepest = max(deepest, depth)
        if tree.data in ("ident", "dot_ident"):
            if str(tree.children[0]) not in bound:
                names.add(str(tree.children[0]))
            continue
        if tree.data == "member_dot_arg" and str(tree.children[1]) in _MACROS and len(tree.children) == 3:
            member, _, arguments = tree.children
            stack.append((member, bound, depth + 1))
            variables = {name for arg in arguments.children[:-1] if (name := _bare_identifier(arg))}
            inner = bound | variables
            stack.extend((arg, inner, depth + 2) for arg in arguments.children if _bare_identifier(arg) not in variables)
            continue
        stack.extend((child, bound, depth + 1) for child in tree.children if isinstance(child, lark.Tree))
    return names, deepest


def _parse_error(rule_id: str, exc: CELParseError) -> RuleInvalid:
    context = str(exc.args[0]).rstrip() if exc.args else ""
    lark_error = exc.__context__
    reason = str(lark_error).strip().splitlines()[0] if lark_error is not None and str(lark_error).strip() else "语法错误"
    where = f"（第 {exc.line} 行第 {exc.column} 列）" if exc.line else ""
    cel_error = f"{reason}\n{context}" if context else reason
    return RuleInvalid(
        f"触发规则 {rule_id} 的条件不是合法的 CEL 表达式{where}：{cel_error}\n请修正表达式后重新提交。",
        rule=rule_id,
        line=exc.line,
        column=exc.column,
        cel_error=cel_error,
    )


_GUARD = re.compile(r"\s*has\(\s*customer\.attributes\.([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*&&")


def leading_guards(source: str) -> tuple[str, ...]:
    """Attributes a condition of the form ``has(customer.attributes.a) && … && rest``
    requires: without one of them it is false (CEL's ``false && x`` is false), so it need
    not run. Empty when the source has ``||`` or ``?`` anywhere (precedence could make
    the guard not apply to the whole expression)."""
    if "||" in source or "?" in source:
        return ()
    names, position = [], 0
    while match := _GUARD.match(source, position):
        names.append(match.group(1))
        position = match.end()
    return tuple(names)


class Condition:
    """One rule's condition, compiled once; ``run`` evaluates it against CEL variables."""

    def __init__(self, rule_id: str, source: str) -> None:
        environment = _environment()
        try:
            ast = environment.compile(source)
        except CELParseError as exc:
            raise _parse_error(rule_id, exc) from exc
        except Exception as exc:  # e.g. RecursionError on absurd nesting
            raise RuleInvalid(
                f"触发规则 {rule_id} 的条件无法解析（{type(exc).__name__}）：请简化表达式后重新提交。", rule=rule_id
            ) from exc
        names, depth = _inspect(ast)
        if depth > _MAX_DEPTH:
            raise RuleInvalid(
                f"触发规则 {rule_id} 的条件嵌套过深：请减少括号与子表达式的层数，或拆成几条规则。", rule=rule_id
            )
        unknown = sorted(names - VARIABLES - _CEL_TYPE_NAMES)
        if unknown:
            raise RuleInvalid(
                f"触发规则 {rule_id} 的条件引用了未知变量 {', '.join(unknown)}：只能使用 customer"
                "（customer.attributes.…）与 conversation（conversation.scenario 等）。请改写后重新提交。",
                rule=rule_id,
                unknown_names=unknown,
            )
        try:
            self._program = environment.program(ast, functions=_OPERATORS)
        except Exception as exc:
            raise RuleInvalid(
                f"触发规则 {rule_id} 的条件无法编译（{type(exc).__name__}）：请改写表达式后重新提交。", rule=rule_id
            ) from exc
        self.rule_id = rule_id
        self.source = source
        self.requires = leading_guards(source)

    def run(self, variables: Mapping[str, celtypes.Value]) -> celtypes.Value:
        """The condition's value; raises on run-time errors (``CELEvalError`` and others)."""
        value = self._program.evaluate(dict(variables))
        if isinstance(value, CELEvalError):  # celpy returns some errors instead of raising them
            raise value
        return value


def error_kind(exc: BaseException) -> type[BaseException]:
    """The Python error under a celpy evaluation error (KeyError for a missing field, ...)."""
    args = exc.args
    if isinstance(exc, CELEvalError) and len(args) >= 2 and isinstance(args[1], type):
        inner = args[2] if len(args) >= 3 else None
        if issubclass(args[1], CELEvalError) and isinstance(inner, tuple) and len(inner) >= 2 and isinstance(inner[1], type):
            return inner[1]
        return args[1]
    return type(exc)
