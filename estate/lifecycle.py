"""Lifecycle reference data: end-of-support dates for common platforms, each with its source."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

LIFECYCLE_CSV = Path(__file__).with_name("lifecycle.csv")


@dataclass(frozen=True)
class LifecycleEntry:
    """One product's end of support and where that date comes from."""

    pattern: re.Pattern[str]
    product: str
    end_of_support: date
    source_title: str
    source_url: str
    note: str


@cache
def lifecycle_entries() -> tuple[LifecycleEntry, ...]:
    """Return the reference rows of lifecycle.csv, in file order (first match wins)."""
    with LIFECYCLE_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(
            LifecycleEntry(
                re.compile(row["pattern"], re.IGNORECASE),
                row["product"],
                date.fromisoformat(row["end_of_support"]),
                row["source_title"],
                row["source_url"],
                row["note"],
            )
            for row in csv.DictReader(handle)
        )


def lookup_end_of_support(technology: str) -> LifecycleEntry | None:
    """Return the first lifecycle entry whose pattern matches the technology text, if any."""
    for entry in lifecycle_entries():
        if entry.pattern.search(technology):
            return entry
    return None


def derive_end_of_support(technology: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Return (end_of_support, product) arrays derived from technology, null where nothing matches."""
    distinct = pc.unique(technology).drop_null()
    entries = [lookup_end_of_support(t) for t in distinct.to_pylist()]
    positions = pc.index_in(technology, value_set=distinct)
    dates = pc.take(pa.array([e.end_of_support if e else None for e in entries], pa.date32()), positions)
    products = pc.take(pa.array([e.product if e else None for e in entries], pa.string()), positions)
    return dates, products
