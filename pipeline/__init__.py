"""The analysis pipeline: settings recorded once, one orchestration, one home for the stored results.

Layer: estate -> dependency_graph -> costing -> pipeline -> reporting -> app. `costing/` and
`dependency_graph/` are pure computation; this package does their I/O (the store, the parameter
file) and writes every result table of an analysis in one transaction.
"""

from importlib import import_module

_EXPORTS = {
    "AnalysisSettings": "pipeline.settings",
    "load_parameters": "pipeline.settings",
    "recorded_settings": "pipeline.results",
    "NotAnalysed": "pipeline.results",
    "RESULT_TABLES": "pipeline.results",
    "COLUMNS": "pipeline.catalogue",
    "Results": "pipeline.results",
    "ResultSource": "pipeline.results",
    "read_results": "pipeline.results",
    "analyse": "pipeline.run",
    "import_and_analyse": "pipeline.run",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
