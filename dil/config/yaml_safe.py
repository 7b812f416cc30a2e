"""One safe way to read a YAML configuration file.

Every loader of dil (rig files, wheel mappings, model manifests, campaign files, vehicle parameter
sets, criteria files) reads through :func:`load_yaml`, which refuses what would hang or crash a
plain ``yaml.safe_load`` and names the file in every error:

- more than ``MAX_ALIASES`` aliases (``*name``), or a document that expands through its aliases to
  more than ``MAX_VALUES`` values (an alias bomb: nine aliases of nine aliases ... is 387 million);
- nesting deeper than ``MAX_DEPTH`` (a RecursionError otherwise);
- files larger than ``MAX_BYTES``, bytes that are not UTF-8, YAML syntax errors, tags that are not
  plain data (``!!python/...``), keys given twice in one mapping, integers too long to convert.

Messages never hold the offending value in full: :func:`short` trims it.
"""

from __future__ import annotations

import reprlib
from pathlib import Path

import yaml

MAX_ALIASES = 64
"""Aliases allowed in one document."""
MAX_DEPTH = 48
"""Nesting of mappings and sequences allowed."""
MAX_VALUES = 100_000
"""Values (scalars, mappings, sequences) a document may hold once its aliases are expanded."""
MAX_BYTES = 1 << 20
"""Largest configuration file read [bytes]."""

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = _repr.maxtuple = _repr.maxdict = 6
_repr.maxlevel = 2


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file, key and value."""


def short(value: object) -> str:
    """A bounded repr of ``value`` for an error message (never the whole of a huge value)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        if value.bit_length() < 1000:
            return f"{float(value):.6g}"
        return f"<an integer of {value.bit_length()} bits>"
    if isinstance(value, float | bool | type(None)):
        return repr(value)
    try:
        text = _repr.repr(value)
    except (ValueError, RecursionError):  # an int beyond str()'s digit limit deep inside
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 120 else text[:117] + "..."


class _Loader(yaml.SafeLoader):
    """SafeLoader with bounded aliases and nesting and no duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _LimitError(f"line {mark.line + 1}: more than {MAX_ALIASES} aliases in one file")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _LimitError(f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    raise _LimitError(f"line {key_node.start_mark.line + 1}: key {short(key)} is given twice")
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _LimitError(Exception):
    pass


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Values in ``node`` with every alias expanded (shared nodes counted each time they appear)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a cycle (an alias to an enclosing node) counts once here; the depth bound holds
    if isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded_size(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        n = 1
    memo[key] = min(n, MAX_VALUES + 1)
    return memo[key]


def parse_yaml(text: str, where: str) -> object:
    """The data of one YAML document ``text`` (None when empty); ``where`` names it in errors."""
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
    except yaml.YAMLError as e:
        raise ConfigError(f"{where}: not valid YAML: {short(str(e))}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_VALUES:
            raise _LimitError(f"expands to more than {MAX_VALUES} values through aliases (alias bomb?)")
        return loader.construct_document(node)
    except _LimitError as e:
        raise ConfigError(f"{where}: {e}") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(f"{where}: not valid YAML: {at}{e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{where}: not valid YAML: {short(str(e))}") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply") from None
    except (ValueError, OverflowError) as e:  # e.g. an integer literal beyond int()'s digit limit
        raise ConfigError(f"{where}: a value cannot be read: {short(str(e))}") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, what: str = "file") -> object:
    """Read and parse the YAML file ``path``; ``what`` (e.g. "rig file") words the errors."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the {what} ({e.strerror or e})") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: the {what} is larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: the {what} is not UTF-8 text (byte {e.start})") from None
    return parse_yaml(text, str(path))
