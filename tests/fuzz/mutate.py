"""Seeded mutations of dil's input files: XML attribute values, deleted and duplicated elements,
truncation and bad encodings for OpenSCENARIO and OpenDRIVE; values, keys and whole-document
attacks (alias bombs, deep nesting, tags, huge integers) for every YAML kind; and expressions."""

from __future__ import annotations

import random

import yaml
from lxml import etree

BAD_TEXT = [
    "inf",
    "-inf",
    "nan",
    "1e300",
    "-1e300",
    "-1",
    "0",
    "",
    "99999999999999999999999999",
    "1" + "0" * 5000,
    "\u00fc\u20ac\U0001f600",
    "garbage",
    "${9**9**9}",
    "${2**(2**40)}",
    "${1/0}",
    "$Undeclared",
    "0x1F",
    " 1 ",
    "true",
    "1e-320",
]
"""Attribute values an XML mutation writes."""

BAD_VALUES: list[object] = [
    float("inf"),
    float("-inf"),
    float("nan"),
    1e300,
    -1e300,
    -1,
    0,
    "",
    10**30,
    "garbage",
    None,
    [],
    {},
    True,
    "\u00fc\u20ac",
    [1, [2, [3]]],
]
"""Values a YAML mutation puts in place of a leaf."""

EXPRESSIONS = [
    "${9**9**9}",
    "${2**(2**40)}",
    "${1e308 * 10}",
    "${1/0}",
    "${sqrt(-1)}",
    "${min()}",
    "${" + "(" * 300 + "1" + ")" * 300 + "}",
    "${" + "-" * 900 + "1}",
    "${" + "9" * 5000 + "}",
    "${__import__('os')}",
    "${(1).__class__}",
    "${[1, 2]}",
    "${'text'}",
    "${pow(10, 400)}",
    "${acos(2)}",
    "${round(1e308) * 1e10}",
    "${$EgoSpeed ** $EgoSpeed}",
    "${1 if 1 else 2}",
    "${lambda: 1}",
    "inf",
    "nan",
    "1e300",
    "-1e300",
    "",
    "\u00fc",
]
"""Values for ``--param EgoSpeed=...``."""


def mutate_xml(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One mutation of an XML document and what it did."""
    op = rng.choice(["attr", "attr", "attr", "attr", "delete", "duplicate", "truncate", "encoding", "bytes"])
    if op == "truncate":
        cut = rng.randrange(1, len(data))
        return data[:cut], f"truncated at byte {cut}"
    if op == "encoding":
        body = data.split(b"?>", 1)[-1] if data.startswith(b"<?xml") else data
        enc = rng.choice([b"UTF-16", b"ascii", b"EBCDIC-garbage"])
        head = b'<?xml version="1.0" encoding="' + enc + b'"?>'
        return head + body.replace(b"-->", "\u00e9-->".encode()), f"declared encoding {enc.decode()}"
    if op == "bytes":
        at = rng.randrange(len(data))
        return data[:at] + b"\xff\xfe\x00" + data[at:], f"bytes ff fe 00 at {at}"
    root = etree.fromstring(data, etree.XMLParser(remove_comments=True, resolve_entities=False))
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
    if op == "attr":
        candidates = [e for e in elements if e.attrib]
        el = rng.choice(candidates)
        name = rng.choice(sorted(el.attrib))
        value = rng.choice(BAD_TEXT)
        el.set(name, value)
        what = f"<{el.tag}> {name}={value[:20]!r}"
    elif op == "delete":
        el = rng.choice(elements)
        el.getparent().remove(el)
        what = f"deleted <{el.tag}>"
    else:
        el = rng.choice(elements)
        el.addnext(etree.fromstring(etree.tostring(el)))
        what = f"duplicated <{el.tag}>"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), what


def _leaves(doc: object, path: tuple = ()) -> list[tuple]:
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _leaves(v, (*path, k))] + ([path] if path else [])
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in _leaves(v, (*path, i))] + ([path] if path else [])
    return [path]


def _set(doc: object, path: tuple, value: object) -> None:
    for k in path[:-1]:
        doc = doc[k]  # type: ignore[index]
    doc[path[-1]] = value  # type: ignore[index]


def _delete(doc: object, path: tuple) -> None:
    for k in path[:-1]:
        doc = doc[k]  # type: ignore[index]
    del doc[path[-1]]  # type: ignore[index]


def mutate_yaml(text: str, rng: random.Random) -> tuple[str, str]:
    """One value-level mutation of a YAML document (a leaf replaced, a key deleted or added)."""
    doc = yaml.safe_load(text)
    paths = _leaves(doc)
    op = rng.choice(["value", "value", "value", "delete", "add"])
    path = rng.choice(paths)
    if op == "value":
        value = rng.choice(BAD_VALUES)
        _set(doc, path, value)
        what = f"{'.'.join(map(str, path))} = {str(value)[:20]}"
    elif op == "delete":
        _delete(doc, path)
        what = f"deleted {'.'.join(map(str, path))}"
    else:
        doc["unknown_key_" + str(rng.randrange(100))] = rng.choice(BAD_VALUES)  # type: ignore[index]
        what = "added an unknown key"
    try:
        return yaml.safe_dump(doc, allow_unicode=True), what
    except (ValueError, yaml.YAMLError):
        return yaml.safe_dump({"x": 1}), what + " (not dumpable: a plain mapping instead)"


def yaml_attacks(text: str) -> list[tuple[bytes, str]]:
    """Whole-document attacks on a YAML file, each with what it is."""
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        bomb.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    first_key = text.split("\n")[0] if ":" in text.split("\n")[0] else "name: x"
    nested = "deep:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 400))
    return [
        (("\n".join(bomb) + "\n" + text).encode(), "alias bomb (9 levels of 9)"),
        (("deep: " + "[" * 5000 + "]" * 5000 + "\n").encode(), "5000 nested lists"),
        (nested.encode(), "400 nested maps"),
        (text.encode()[: len(text) // 2] + b"\x00\xff\xfe", "truncated, NUL and bad bytes"),
        (("\ufeff" + text).encode("utf-16"), "UTF-16"),
        (b"!!python/object/apply:os.system ['true']\n", "python tag"),
        ((f"{first_key}\nbig: " + "9" * 6000 + "\n").encode(), "6000-digit integer"),
        ((text + "\n" + text).encode(), "every key twice"),
        (b"key: [unclosed\n  - : :\n\t\ttab", "scanner error"),
        (b"- just\n- a list\n", "a list, not a mapping"),
    ]
