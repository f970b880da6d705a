"""Graph files for other tools: GraphML (yEd, Gephi), GEXF (Gephi) and node-link JSON."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from dependency_graph.rules import GRAPH_FORMATS
from estate.files import atomic_path
from estate.store import connect
from pipeline.run import load_graph


def write_graph(db: Path, out: Path) -> tuple[int, int]:
    """Write the stored estate's graph to `out` (format from its suffix); return (nodes, edges)."""
    with connect(db, read_only=True) as connection:
        graph = load_graph(connection).to_networkx()
    suffix = out.suffix.lower()
    if suffix not in GRAPH_FORMATS:
        raise ValueError(f"unsupported graph format {suffix}: use {', '.join(GRAPH_FORMATS)}")
    with atomic_path(out) as temporary:
        if suffix == ".graphml":
            nx.write_graphml(graph, temporary)
        elif suffix == ".gexf":
            nx.write_gexf(graph, temporary)
        else:
            temporary.write_text(json.dumps(nx.node_link_data(graph, edges="edges"), indent=1), encoding="utf-8")
    return graph.number_of_nodes(), graph.number_of_edges()
