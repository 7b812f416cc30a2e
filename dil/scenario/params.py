"""OpenSCENARIO parameters: declarations, ``$name`` references and ``${...}`` expressions.

Expressions allow numbers, parameter references, ``+ - * / % **``, parentheses, comparisons,
``not``/``and``/``or`` and the functions of the standard (round, floor, ceil, sqrt, pow, min,
max, abs); they are evaluated with a small interpreter over Python's syntax tree, never ``eval``.

Constants: ``pi`` and ``e`` are the numbers (as in the reference player's expressions:
``h="${pi}"``), unless a parameter of that name is referenced as ``$pi``.

Text: the standard's expressions are numeric and boolean, but files written for the reference player
build names with ``+`` (``${Brake_ + $Gap}`` gives ``Brake_0.7``). As that player does, a string
parameter, a quoted string or a bare word is text, ``+`` with a text operand joins (numbers written
as parameters resolve them), ``==``/``!=`` compare, and any other operation on text is an error.
A text result is at most ``MAX_EXPRESSION`` characters.

Arithmetic is in doubles, as the standard says: integer literals become floats, so ``9**9**9`` is
an overflow error at once instead of an endless big-integer power. An expression is at most
``MAX_EXPRESSION`` characters and ``MAX_NODES`` syntax nodes, and every intermediate value must be
finite; anything else is a :class:`ParameterError` naming the expression.
"""

from __future__ import annotations

import ast
import math
import operator
import re

MAX_EXPRESSION = 1000
"""Longest expression accepted [characters], parameter values substituted."""
MAX_NODES = 200
"""Most syntax-tree nodes in one expression (each costs one evaluation step)."""

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_FUNCTIONS = {
    "round": lambda x: float(math.floor(x + 0.5)),
    "floor": math.floor,
    "ceil": math.ceil,
    "sqrt": math.sqrt,
    "pow": math.pow,
    "min": min,
    "max": max,
    "abs": abs,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "sign": lambda x: math.copysign(1.0, x) if x else 0.0,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
"""Bare words that are numbers in an expression."""
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: math.fmod,
    ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class ParameterError(ValueError):
    """An undeclared parameter, a bad expression or a value of the wrong type."""


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def evaluate(expr: str, params: dict[str, str]) -> float | bool | str:
    """The value of an expression body (without ``${`` ``}``)."""

    def value(name: str) -> str:
        if name not in params:
            raise ParameterError(f"expression {_short(expr)}: parameter ${name} is not declared")
        v = params[name]
        if v in ("true", "false"):
            return "True" if v == "true" else "False"
        if isinstance(_number(v), str):
            return repr(v)  # text: a Python string literal, never code
        return f"({v})"

    text = _NAME.sub(lambda m: value(m.group(1)), expr).replace("&&", " and ").replace("||", " or ")
    text = re.sub(r"!(?!=)", " not ", text)
    shown = _short(expr)
    if len(text) > MAX_EXPRESSION:
        raise ParameterError(f"expression {shown} is longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # ValueError: a literal too long
        raise ParameterError(f"expression {shown} is not valid") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ParameterError(f"expression {shown} has more than {MAX_NODES} terms")
    try:
        result = _eval(tree.body, shown)
    except ParameterError:
        raise
    except ZeroDivisionError:
        raise ParameterError(f"expression {shown} divides by zero") from None
    except (OverflowError, ValueError, TypeError, RecursionError) as e:
        why = "overflows" if isinstance(e, OverflowError) else f"cannot be evaluated ({_short(str(e))})"
        raise ParameterError(f"expression {shown} {why}") from None
    return result


def _format(v: float | bool) -> str:
    """A number or boolean as an attribute value: integers without a decimal point."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if not float(v).is_integer() or abs(v) >= 2**53:
        return repr(float(v))
    return str(int(v))


def _short(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")


def _finite(v: float | bool, expr: str) -> float | bool:
    if isinstance(v, float) and not math.isfinite(v):
        raise ParameterError(f"expression {expr}: a value is not finite")
    return v


def _text(v: float | bool | str) -> str:
    """A value as it reads in text: numbers as :func:`resolve` writes them."""
    return v if isinstance(v, str) else _format(v)


def _numeric(v: float | bool | str, node: ast.AST, expr: str) -> float | bool:
    if isinstance(v, str):
        raise ParameterError(
            f"expression {expr}: {_short(v)} is text, and {_short(ast.unparse(node))} needs numbers "
            "(text only joins with + and compares with == or !=)"
        )
    return v


def _eval(node: ast.AST, expr: str) -> float | bool | str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):  # a bare word: booleans, constants, else text (as the reference player)
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        return {"true": True, "false": False}.get(node.id, node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _eval(node.left, expr), _eval(node.right, expr)
        if isinstance(left, str) or isinstance(right, str):
            joined = _text(left) + _text(right)
            if len(joined) > MAX_EXPRESSION:
                raise ParameterError(f"expression {expr} makes text longer than {MAX_EXPRESSION} characters")
            return joined
        return _finite(left + right, expr)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in (ast.Eq, ast.NotEq):
        left, right = _eval(node.left, expr), _eval(node.comparators[0], expr)
        return _COMPARE[type(node.ops[0])](left, right)
    return _eval_numeric(node, expr)


def _eval_numeric(node: ast.AST, expr: str) -> float | bool:
    def num(n: ast.AST) -> float | bool:
        return _numeric(_eval(n, expr), node, expr)

    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | bool):
        v = node.value
        return v if isinstance(v, bool) else _finite(float(v), expr)  # OverflowError for a huge int
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -num(node.operand)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return num(node.operand)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not num(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = num(node.left), num(node.right)
        if isinstance(node.op, ast.Pow):
            return _finite(math.pow(left, right), expr)  # double power: OverflowError, never a bignum
        return _finite(_BINARY[type(node.op)](left, right), expr)
    if isinstance(node, ast.BoolOp):
        values = [bool(num(v)) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        return _COMPARE[type(node.ops[0])](num(node.left), num(node.comparators[0]))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        return _finite(_FUNCTIONS[node.func.id](*(num(a) for a in node.args)), expr)
    raise ParameterError(f"expression {expr}: {_short(ast.unparse(node))} is not allowed")


def resolve(value: str, params: dict[str, str]) -> str:
    """An attribute value with a ``$name`` reference or ``${...}`` expression replaced by its value."""
    if not value.startswith("$"):
        return value
    if value.startswith("${") and value.endswith("}"):
        return _text(evaluate(value[2:-1], params))
    name = value[1:]
    if name not in params:
        raise ParameterError(f"parameter ${_short(name)[1:-1]} is not declared")
    return params[name]
