"""OpenSCENARIO 1.2 variables: ``VariableDeclarations``, ``VariableAction`` (set, add, multiply) and
``VariableCondition``. Variables change while the run plays, like parameters changed by a
ParameterAction, but are never ``$``-referenced: they are kept in the run's parameter table under
``variable:NAME``, a key no ``$name`` reference can spell."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree

from .actions import Action, ParameterChange
from .params import ParameterError, resolve
from .xml import Reader

if TYPE_CHECKING:
    from .context import Context

PREFIX = "variable:"
"""Key prefix of a variable in the run's parameter table."""


def declare_variables(r: Reader, root: etree._Element) -> None:
    """Put the scenario's VariableDeclarations (initial values, parameters resolved) into ``r.params``."""
    decl = root.find("VariableDeclarations")
    if decl is None:
        return
    for d in decl.iterfind("VariableDeclaration"):
        name = r.param_ref(d, "name")
        try:
            r.params[PREFIX + name] = resolve(d.get("value", ""), r.params)
        except ParameterError as e:
            raise r.error(d, f"variable {name!r}: {e}") from None


def _ref(r: Reader, el: etree._Element) -> str:
    name = r.param_ref(el, "variableRef")
    if PREFIX + name not in r.params:
        raise r.error(el, f"variableRef={name!r}: no such variable is declared (VariableDeclarations)")
    return PREFIX + name


def parse_variable_action(r: Reader, node: etree._Element) -> Action:
    """A ``<VariableAction>``: SetAction (a value) or ModifyAction (AddValue, MultiplyByValue)."""
    key = _ref(r, node)
    act = r.one_child(node, ("SetAction", "ModifyAction"))
    if act.tag == "SetAction":
        return ParameterChange(key, value=r.raw(act, "value"))
    rule = r.one_child(r.child(act, "Rule"), ("AddValue", "MultiplyByValue"))
    if rule.tag == "AddValue":
        return ParameterChange(key, add=r.num(rule, "value"))
    return ParameterChange(key, multiply=r.num(rule, "value"))


Compare = Callable[[dict[str, str], str, str | None, str], bool]
"""(parameter table, key, value, rule) -> whether the rule holds."""


def parse_variable_condition(
    r: Reader, el: etree._Element, compare: Compare, rules: tuple[str, ...]
) -> Callable[[Context], bool]:
    """A ``<VariableCondition>``: the variable's value against ``value`` by ``rule`` (numbers as
    numbers, text by equalTo and notEqualTo), as ``compare`` does for parameters."""
    rule = r.choice(el, "rule", rules)
    key = _ref(r, el)
    value = r.raw(el, "value")
    return lambda ctx: compare(ctx.params, key, value, rule)
