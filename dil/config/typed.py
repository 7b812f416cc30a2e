"""YAML data into frozen dataclasses, strictly (an unknown key is an error naming it), with errors
that name the file, the key and a trimmed value."""

from __future__ import annotations

import types
import typing
from dataclasses import fields, is_dataclass
from typing import TypeVar

import dacite

from .yaml_safe import ConfigError, short

T = TypeVar("T")


def _type_name(t: object) -> str:
    return str(getattr(t, "__name__", t)).replace("typing.", "")


def from_dict(cls: type[T], data: object, where: str, config: dacite.Config | None = None) -> T:
    """``cls`` built from the mapping ``data`` (strict keys); ``where`` (the file) names errors."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values, got {type(data).__name__}")
    config = config or dacite.Config(strict=True, cast=[tuple])
    _shapes(cls, data, "", where)
    try:
        return dacite.from_dict(cls, data, config=config)
    except dacite.UnexpectedDataError as e:
        keys = ", ".join(sorted(short(k) for k in e.keys))
        raise ConfigError(f"{where}: unknown key(s) {keys}") from None
    except dacite.MissingValueError as e:
        raise ConfigError(f"{where}: missing key {e.field_path}") from None
    except dacite.WrongTypeError as e:
        raise ConfigError(
            f"{where}: {e.field_path} = {short(e.value)}: expected {_type_name(e.field_type)}"
        ) from None
    except dacite.DaciteError as e:
        path = getattr(e, "field_path", None) or "?"
        raise ConfigError(f"{where}: {path}: {type(e).__name__}") from None
    except (TypeError, ValueError, OverflowError) as e:
        raise ConfigError(f"{where}: {short(str(e))}") from None


def _strip_optional(t: object) -> object:
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        return args[0] if len(args) == 1 else t
    return t


def _shapes(cls: type, data: dict, prefix: str, where: str) -> None:
    """Lists where lists belong and mappings where dataclasses belong, before dacite (whose cast of
    a number to a tuple fails without naming the key)."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in data or data[f.name] is None:
            continue
        value, key, t = data[f.name], f"{prefix}{f.name}", _strip_optional(hints[f.name])
        origin = typing.get_origin(t)
        if origin in (list, tuple):
            if not isinstance(value, list | tuple):
                raise ConfigError(f"{where}: {key} = {short(value)}: expected a list")
            item = typing.get_args(t)[0] if typing.get_args(t) else None
            if is_dataclass(item):
                for i, v in enumerate(value):
                    if not isinstance(v, dict):
                        raise ConfigError(f"{where}: {key}[{i}] = {short(v)}: expected a mapping")
                    _shapes(item, v, f"{key}[{i}].", where)  # type: ignore[arg-type]
        elif is_dataclass(t):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key} = {short(value)}: expected a mapping")
            _shapes(t, value, f"{key}.", where)  # type: ignore[arg-type]
