"""Storyboard element references: plain names and qualified names (``Event::Action``).

OpenSCENARIO 1.2+ lets a reference name its element by the path of names from an ancestor down,
joined by ``::`` (the names of the story, act, maneuver group, maneuver, event and action that
contain it, any number of the outermost left out). Each prefix must make the reference unique.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

SEPARATOR = "::"


def _walk(el: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    here = (*path, el.name)
    yield here, el
    for attr in ("acts", "groups", "maneuvers", "events", "actions"):
        for child in getattr(el, attr, ()):
            yield from _walk(child, here)


def qualified(elements: dict[tuple[str, str], Any], kind: str, ref: str) -> Any | None:
    """The element of ``kind`` whose path of names ends with ``ref``'s parts; None when there is
    none. Raises ValueError when the qualified name fits more than one element."""
    parts = tuple(ref.split(SEPARATOR))
    stories = [e for (k, _), e in elements.items() if k == "story"]
    found = [
        el
        for story in stories
        for path, el in _walk(story, ())
        if el.kind == kind and path[-len(parts) :] == parts
    ]
    if len(found) > 1:
        raise ValueError(
            f"StoryboardElementStateCondition: {ref!r} names {len(found)} {kind}s; qualify it further"
        )
    return found[0] if found else None


def identity(el: Any) -> str:
    """A key naming this one element among others of the same name (``#`` and its id)."""
    return f"#{id(el)}"
