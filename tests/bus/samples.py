"""Valid sample messages built from the schemas themselves."""

from __future__ import annotations

from typing import Any

from dil.bus import Field, Kind, Schema


def sample_value(f: Field, i: int) -> Any:
    lo = -1e3 if f.lo is None else f.lo
    hi = 1e3 if f.hi is None else f.hi
    if f.kind is Kind.F64:
        return lo + (hi - lo) * (0.25 + 0.01 * (i % 7))
    if f.kind is Kind.INT:
        return int(lo) if f.lo is not None else i
    if f.kind is Kind.BOOL:
        return i % 2 == 0
    if f.kind is Kind.STR:
        return f"text {i}"
    if f.kind is Kind.ENUM:
        return f.values[i % len(f.values)]
    if f.kind is Kind.F64_LIST:
        return [lo + (hi - lo) * 0.1 * k for k in range(f.length or 3)]
    if f.kind is Kind.RECORDS:
        return [sample_fields(f.record, i + k) for k in range(2)]
    if f.kind is Kind.BYTES:
        return bytes(range(i % 5, i % 5 + 8))
    raise AssertionError(f.kind)


def sample_fields(fields: tuple[Field, ...], seed: int = 0) -> dict[str, Any]:
    return {f.name: sample_value(f, seed + i) for i, f in enumerate(fields)}


def sample(schema: Schema, seed: int = 0) -> dict[str, Any]:
    """The topic's fields (no header), every one valid."""
    return sample_fields(schema.fields, seed)
