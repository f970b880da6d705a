"""Dependency graph of systems and interfaces: fan-in/out, blast radius, clusters, modernisation waves."""

from dependency_graph.graph import EmptyEstate, EstateGraph, build_graph, load_graph
from dependency_graph.metrics import WAVE_RULE, GraphAnalysis, analyse_graph, blast_radius_of

__all__ = [
    "WAVE_RULE",
    "EmptyEstate",
    "EstateGraph",
    "GraphAnalysis",
    "analyse_graph",
    "blast_radius_of",
    "build_graph",
    "load_graph",
]
