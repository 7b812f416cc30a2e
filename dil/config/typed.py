"""YAML data into frozen dataclasses, strictly (an unknown key is an error naming it), with errors
that name the file, the key and a trimmed value."""

from __future__ import annotations

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
