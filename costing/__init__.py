"""Hidden run cost of unmodernised systems, uncertainty, Green Book appraisal and ranking.

Pure functions on DataFrames; every assumption lives in `costing/parameters.toml`.
Public names are imported on first use (PEP 562).
"""

from importlib import import_module

_EXPORTS = {
    "Assessment": "costing.model",
    "assess": "costing.model",
    "Parameters": "costing.parameters",
    "ParameterError": "costing.parameters",
    "parse_parameters": "costing.parameters",
    "COMPONENTS": "costing.hidden",
    "hidden_components": "costing.hidden",
    "rank_systems": "costing.ranking",
    "parse_weights": "costing.ranking",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'costing' has no attribute {name!r}")
