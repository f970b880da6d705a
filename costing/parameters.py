"""The cost model's parameters: one TOML file, every value with its unit, range and source."""

from __future__ import annotations

import math
import tomllib
import zlib
from dataclasses import dataclass, replace

import numpy as np

DEFAULT_ORIGIN = "costing/parameters.toml"
FIELDS = ("value", "low", "high", "unit", "description", "source", "confidence")
PERT_LAMBDA = 4.0


class ParameterError(ValueError):
    """A parameter file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Parameter:
    """One assumption: central value, range, unit and where it comes from."""

    name: str
    value: float
    low: float
    high: float
    unit: str
    description: str
    source: str
    confidence: str

    @property
    def mean(self) -> float:
        """Return the mean of the PERT distribution the Monte Carlo draws from ((low + 4 mode + high) / 6)."""
        if not self.uncertain:
            return self.value
        return (self.low + PERT_LAMBDA * self.value + self.high) / (PERT_LAMBDA + 2)

    @property
    def uncertain(self) -> bool:
        """Return True when the Monte Carlo draws this parameter from a range."""
        return self.high > self.low


@dataclass(frozen=True)
class Parameters:
    """All parameters plus the lists (scarce skills, commodity services), as loaded and checked."""

    values: dict[str, Parameter]
    lists: dict[str, tuple[str, ...]]
    source_files: tuple[str, ...]
    user_text: str = ""  # the user's parameter file as written (empty when only the defaults are used)

    def __getitem__(self, name: str) -> float:
        return self.values[name].value

    def point(self) -> dict[str, float]:
        """Return name -> central value."""
        return {name: p.value for name, p in self.values.items()}

    def with_values(self, **changes: float) -> Parameters:
        """Return a copy with some central values changed (kept inside their ranges)."""
        values = dict(self.values)
        for name, value in changes.items():
            if name not in values:
                raise ParameterError(f"unknown parameter '{name}'")
            p = values[name]
            values[name] = replace(p, value=value, low=min(p.low, value), high=max(p.high, value))
        return Parameters(values, self.lists, self.source_files, self.user_text)

    def draws(self, count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Return name -> `count` PERT draws (constant where low == high).

        Each parameter draws from its own stream, seeded by one number taken from `rng` and the parameter's
        name: a beta sampler uses a varying amount of randomness, so a shared stream would let a change to
        one parameter (a scenario's discount rate) move every parameter drawn after it. `rng` advances by
        the same amount whatever the values.
        """
        root = int(rng.integers(0, 2**63 - 1))
        result = {}
        for name in sorted(self.values):
            p = self.values[name]
            own = np.random.default_rng([root, zlib.crc32(name.encode())])
            result[name] = pert(p.low, p.value, p.high, count, own) if p.uncertain else np.full(count, p.value)
        return result


def pert(low: float, mode: float, high: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """Return PERT (beta) draws between low and high with the given mode."""
    span = high - low
    alpha = 1 + PERT_LAMBDA * (mode - low) / span
    beta = 1 + PERT_LAMBDA * (high - mode) / span
    return low + span * rng.beta(alpha, beta, count)


def parse_parameters(default_text: str, user_text: str = "", user_origin: str = "parameters file") -> Parameters:
    """Return the default parameters (TOML text) overridden by a user file's text; ParameterError names any bad key."""
    defaults = _read(default_text, DEFAULT_ORIGIN)
    values = {name: _parameter(name, table, DEFAULT_ORIGIN) for name, table in defaults["parameters"].items()}
    lists = {name: tuple(items) for name, items in defaults.get("lists", {}).items()}
    sources = [DEFAULT_ORIGIN]
    if user_text:
        path = user_origin
        user = _read(user_text, path)
        sources.append(path)
        unknown = set(user) - {"parameters", "lists", "meta"}
        if unknown:
            raise ParameterError(f"{path}: unknown section '{sorted(unknown)[0]}'; use [parameters.NAME] or [lists]")
        for name, table in user.get("parameters", {}).items():
            if name not in values:
                raise ParameterError(f"{path}: unknown parameter '{name}'")
            if not isinstance(table, dict):
                raise ParameterError(f"{path}: parameters.{name} must be a table with value, low, high ...")
            bad = set(table) - set(FIELDS)
            if bad:
                raise ParameterError(f"{path}: parameters.{name} has unknown key '{sorted(bad)[0]}'")
            base = values[name]
            if "unit" in table and table["unit"] != base.unit:
                raise ParameterError(
                    f"{path}: parameters.{name} has unit '{table['unit']}' but the model expects '{base.unit}'"
                )
            for key in ("value", "low", "high"):
                if key in table and (isinstance(table[key], bool) or not isinstance(table[key], int | float)):
                    raise ParameterError(f"{path}: parameters.{name}.{key} must be a number, not {table[key]!r}")
            merged = {f: getattr(base, f) for f in FIELDS} | table
            if "value" in table and "low" not in table and "high" not in table:
                merged["low"] = min(base.low, table["value"])
                merged["high"] = max(base.high, table["value"])
            values[name] = _parameter(name, merged, str(path))
        for name, items in user.get("lists", {}).items():
            if name not in lists:
                raise ParameterError(f"{path}: unknown list '{name}'")
            lists[name] = tuple(str(i) for i in items)
    return Parameters(values, lists, tuple(sources), user_text)


def _read(text: str, origin: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{origin}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or table: a hostile file nests thousands
        raise ParameterError(f"{origin}: not a parameter file: arrays or tables nested too deeply") from None


def _parameter(name: str, table: dict, origin: str) -> Parameter:
    missing = [f for f in FIELDS if f not in table]
    if missing:
        raise ParameterError(f"{origin}: parameters.{name} lacks '{missing[0]}'")
    try:
        value, low, high = float(table["value"]), float(table["low"]), float(table["high"])
    except (TypeError, ValueError):
        raise ParameterError(f"{origin}: parameters.{name}: value, low and high must be numbers") from None
    if not all(math.isfinite(x) for x in (value, low, high)):
        raise ParameterError(f"{origin}: parameters.{name}: value, low and high must be finite")
    if low < 0:
        raise ParameterError(f"{origin}: parameters.{name}: low ({low:g}) is negative; every parameter is >= 0")
    if low > high:
        raise ParameterError(f"{origin}: parameters.{name}: low ({low:g}) is above high ({high:g})")
    if not low <= value <= high:
        raise ParameterError(f"{origin}: parameters.{name}: value {value:g} is outside low-high ({low:g}-{high:g})")
    if not str(table["source"]).strip():
        raise ParameterError(f"{origin}: parameters.{name} has no source")
    return Parameter(
        name,
        value,
        low,
        high,
        str(table["unit"]),
        str(table["description"]),
        str(table["source"]),
        str(table["confidence"]),
    )
