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


CONFLICT_YEARS = 3  # extended support past the catalogue's date: Microsoft sells ESU for up to three years


def contradicts(stated: date, catalogue: date) -> bool:
    """Return True when a stated end of support is more than CONFLICT_YEARS calendar years after the catalogue's."""
    return stated.year - catalogue.year > CONFLICT_YEARS


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


# spellings inventories use for the catalogue's products (matched after lower-casing)
ALIASES = (
    (re.compile(r"\b(?:ms ?sql|microsoft sql|sql svr|mssql)(?: server)?\b"), "sql server"),
    (re.compile(r"\bw(?:in)?2k(\d)\b"), r"windows server 200\1"),
    (re.compile(r"\bw(?:in)?2k(\d\d)\b"), r"windows server 20\1"),
    (re.compile(r"\bwin(?:dows)?(?: ?server)? ?(20\d\d)\b"), r"windows server \1"),
    (re.compile(r"\bred ?hat(?: enterprise linux| linux)?(?: server)? ?(\d)\b"), r"rhel \1"),
    (re.compile(r"\bjdk ?1\.(\d)\b"), r"java \1"),
    (re.compile(r"\bnodejs\b"), "node.js"),
    (re.compile(r"\bforms ?(6i|10g|11g|9i)\b"), r"oracle forms \1"),
    (re.compile(r"[;,|+]"), " ; "),  # list separators (not "/": z/OS, PL/I, OS/390)
)


def normalise_product(text: str) -> str:
    """Return the text lower-cased, common spellings made the catalogue's ('W2K8' -> windows server 2008)."""
    text = text.lower()
    for pattern, replacement in ALIASES:
        text = pattern.sub(replacement, text)
    return text


def lookup_end_of_support(technology: str) -> LifecycleEntry | None:
    """Return the lifecycle entry with the earliest end of support among those the technology text names.

    A stack ('Java 8 on Windows Server 2008', 'COBOL; CICS; DB2 10.5') is out of support when any part is.
    """
    text = normalise_product(technology)
    found = [entry for entry in lifecycle_entries() if entry.pattern.search(text)]
    return min(found, key=lambda entry: entry.end_of_support) if found else None


def derive_end_of_support(technology: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Return (end_of_support, product) arrays derived from technology, null where nothing matches."""
    distinct = pc.unique(technology).drop_null()
    entries = [lookup_end_of_support(t) for t in distinct.to_pylist()]
    positions = pc.index_in(technology, value_set=distinct)
    dates = pc.take(pa.array([e.end_of_support if e else None for e in entries], pa.date32()), positions)
    products = pc.take(pa.array([e.product if e else None for e in entries], pa.string()), positions)
    return dates, products
