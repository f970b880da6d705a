"""Dependency graph of systems and interfaces: fan-in/out, blast radius, clusters, modernisation waves.

The public names are imported on first use (PEP 562), so that importing the cheap
`dependency_graph.rules` does not load networkx, rustworkx and scipy.
"""

from importlib import import_module

_EXPORTS = {
    "EmptyEstate": "dependency_graph.graph",
    "EstateGraph": "dependency_graph.graph",
    "build_graph": "dependency_graph.graph",
    "GraphAnalysis": "dependency_graph.metrics",
    "analyse_graph": "dependency_graph.metrics",
    "blast_radius_of": "dependency_graph.metrics",
    "WAVE_RULE": "dependency_graph.rules",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dependency_graph' has no attribute {name!r}")
