"""JSON Schema text for each topic, written into a log so other tools can decode its messages."""

from __future__ import annotations

import json

from dil.bus.schema import HEADER, Field, Kind, Schema

_TYPES = {
    Kind.F64: "number",
    Kind.INT: "integer",
    Kind.BOOL: "boolean",
    Kind.STR: "string",
    Kind.ENUM: "string",
}


def _field(f: Field) -> dict:
    d: dict = {"description": f.doc} if f.doc else {}
    if f.unit != "-":
        d["unit"] = f.unit
    if f.frame != "-":
        d["frame"] = f.frame
    if f.kind in _TYPES:
        d["type"] = _TYPES[f.kind]
    if f.kind is Kind.ENUM:
        d["enum"] = list(f.values)
    if f.kind in (Kind.F64, Kind.INT):
        if f.lo is not None:
            d["minimum"] = f.lo
        if f.hi is not None:
            d["maximum"] = f.hi
    if f.kind is Kind.F64_LIST:
        d.update(type="array", items={"type": "number"})
        if f.length is not None:
            d.update(minItems=f.length, maxItems=f.length)
    if f.kind is Kind.RECORDS:
        d.update(type="array", items=_object(f.record))
    if f.kind is Kind.BYTES:
        d.update(type="string", contentEncoding="binary")
    return d


def _object(fields: tuple[Field, ...]) -> dict:
    return {
        "type": "object",
        "properties": {f.name: _field(f) for f in fields},
        "required": [f.name for f in fields],
    }


def schema_text(schema: Schema) -> bytes:
    """The JSON Schema of ``schema``'s messages (msgpack maps with these keys)."""
    doc = _object(HEADER + schema.fields)
    doc.update(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": schema.topic,
            "description": f"{schema.doc} Encoded as a msgpack map; schema_version {schema.version}.",
        }
    )
    return json.dumps(doc, indent=1).encode()
