"""`estate analyse` for the graph layer: load from the store, compute, store the results."""

from __future__ import annotations

from pathlib import Path

from dependency_graph.betweenness import DEFAULT_SAMPLES
from dependency_graph.graph import load_graph
from dependency_graph.metrics import GraphAnalysis, analyse_graph
from estate.store import connect, replace_tables

RESULT_TABLES = ("system_metrics", "graph_findings", "department_links", "department_silos")


def run_graph_analysis(db: Path, betweenness_samples: int = DEFAULT_SAMPLES, seed: int = 0) -> GraphAnalysis:
    """Analyse the stored estate's graph and replace the result tables; return the analysis."""
    with connect(db) as connection:
        graph = load_graph(connection)
        analysis = analyse_graph(graph, betweenness_samples, seed)
        metrics = analysis.metrics.assign(betweenness_sources=analysis.betweenness_sources)
        replace_tables(
            connection,
            {
                "system_metrics": metrics,
                "graph_findings": analysis.findings.astype({"interface_id": "string"}),
                "department_links": analysis.department_links,
                "department_silos": analysis.department_silos,
            },
        )
    return analysis
