"""Strict JSON out: NaN and infinities become null, so every JSON reader accepts what estate prints."""

from __future__ import annotations

import json
import math
from typing import Any


def strict(value: Any) -> Any:
    """Return the value with every float NaN or infinity (in dicts, lists and tuples, at any depth) as None."""
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values, without importing pandas
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:  # numpy scalars
        return strict(value.item())
    return value


def strict_json(value: Any, indent: int | None = 2) -> str:
    """Return strict JSON text (RFC 8259: no NaN or Infinity tokens); other types are written as text."""
    return json.dumps(strict(value), indent=indent, default=str, allow_nan=False)
