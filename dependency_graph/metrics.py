"""Per-system graph metrics, coupled clusters, modernisation waves, department view and findings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import rustworkx as rx

from dependency_graph.betweenness import DEFAULT_SAMPLES, betweenness
from dependency_graph.graph import EstateGraph, rustworkx_graph, unique_pairs
from dependency_graph.reach import reach_counts

METRIC_COLUMNS = (
    "system_id", "department", "fan_in", "fan_out", "manual_interfaces", "cross_department_interfaces",
    "centrality", "betweenness", "blast_radius", "upstream_dependencies", "cluster_id", "cluster_size",
    "component_id", "wave",
)  # fmt: skip


@dataclass
class GraphAnalysis:
    """Everything `analyse_graph` finds, as plain DataFrames."""

    metrics: pd.DataFrame  # one row per inventory system, METRIC_COLUMNS
    findings: pd.DataFrame  # kind, system_id, interface_id, detail
    department_links: pd.DataFrame  # source_department, target_department, interfaces
    department_silos: pd.DataFrame  # department, interfaces, cross_department_interfaces, cross_department_share
    betweenness_sources: int  # sources used for betweenness (= node count when exact)
    waves: int
    clusters: int


def strongly_connected(graph: EstateGraph) -> np.ndarray:
    """Return each node's strongly connected component, numbered 0..C-1 in order of smallest node."""
    return _numbered(rx.strongly_connected_components(graph.rustworkx()), graph.node_count)


def _numbered(components: list, node_count: int) -> np.ndarray:
    """Return a label per node from a list of node groups, groups numbered in order of smallest node."""
    label = np.empty(node_count, np.int64)
    if node_count == 0:
        return label
    sizes = np.fromiter(map(len, components), np.int64, len(components))
    members = np.fromiter((node for group in components for node in group), np.int64, node_count)
    smallest = np.minimum.reduceat(members, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    rank = np.empty(len(components), np.int64)
    rank[np.argsort(smallest, kind="stable")] = np.arange(len(components))
    label[members] = np.repeat(rank, sizes)
    return label


def condensation(graph: EstateGraph, label: np.ndarray) -> np.ndarray:
    """Return the distinct (component, component) edges between different components."""
    pairs = label[graph.simple_edges]
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return unique_pairs(pairs[:, 0], pairs[:, 1], int(label.max()) + 1 if len(label) else 0)


def generations(component_count: int, dag_edges: np.ndarray) -> np.ndarray:
    """Return each component's topological generation (0 for those with no upstream component)."""
    level = np.empty(component_count, np.int64)
    for number, members in enumerate(rx.topological_generations(rustworkx_graph(component_count, dag_edges))):
        level[list(members)] = number
    return level


def analyse_graph(graph: EstateGraph, betweenness_samples: int = DEFAULT_SAMPLES, seed: int = 0) -> GraphAnalysis:
    """Return per-system metrics, clusters, waves, department view and data-quality findings."""
    n = graph.node_count
    inventory = ~graph.nodes["missing"].to_numpy()
    label = strongly_connected(graph)
    component_count = int(label.max()) + 1 if n else 0
    dag_edges = condensation(graph, label)
    level = generations(component_count, dag_edges)
    weight = np.bincount(label, weights=inventory.astype(np.float64), minlength=component_count)
    size = np.bincount(label, minlength=component_count)
    downstream = reach_counts(weight, dag_edges, level)
    upstream = reach_counts(weight, dag_edges[:, ::-1], -level)
    centrality = rx.pagerank(graph.rustworkx(reverse=True), alpha=0.85)
    between, sources = betweenness(n, graph.simple_edges, graph.rustworkx(), betweenness_samples, seed)
    cluster_id = _number_clusters(label, size, graph.nodes["system_id"].to_numpy())
    component_id = _weak_components(graph)
    counts = _interface_counts(graph)
    metrics = pd.DataFrame(
        {
            "system_id": graph.nodes["system_id"],
            "department": graph.nodes.get("department"),
            **counts,
            "centrality": [centrality[i] for i in range(n)],
            "betweenness": between,
            "blast_radius": downstream[label] - 1,
            "upstream_dependencies": upstream[label] - 1,
            "cluster_id": pd.array(cluster_id, dtype="Int64"),
            "cluster_size": size[label],
            "component_id": component_id,
            "wave": level[label] + 1,
        }
    )[list(METRIC_COLUMNS)]
    metrics = metrics[inventory].reset_index(drop=True)
    links, silos = department_view(graph)
    return GraphAnalysis(
        metrics=metrics,
        findings=findings(graph),
        department_links=links,
        department_silos=silos,
        betweenness_sources=sources,
        waves=int(metrics["wave"].max()) if len(metrics) else 0,
        clusters=int((size > 1).sum()),
    )


def _number_clusters(label: np.ndarray, size: np.ndarray, ids: np.ndarray) -> list[int | None]:
    """Return cluster numbers 1..K for members of multi-system components (largest first), None otherwise."""
    multi = np.flatnonzero(size > 1)
    first_id = {c: min(ids[label == c]) for c in multi}
    ordered = sorted(multi, key=lambda c: (-size[c], first_id[c]))
    number = {c: i + 1 for i, c in enumerate(ordered)}
    return [number.get(c) for c in label]


def _weak_components(graph: EstateGraph) -> np.ndarray:
    """Return weakly connected component numbers 1..W, largest first (ties by smallest system_id)."""
    components = rx.weakly_connected_components(graph.rustworkx())
    ids = graph.nodes["system_id"].to_numpy()
    components = sorted((sorted(c) for c in components), key=lambda c: (-len(c), ids[c[0]]))
    result = np.empty(graph.node_count, np.int64)
    for number, members in enumerate(components, start=1):
        result[members] = number
    return result


def _interface_counts(graph: EstateGraph) -> dict[str, np.ndarray]:
    """Return fan-in, fan-out, manual and cross-department interface counts per node (self-loops excluded)."""
    n = graph.node_count
    proper = ~graph.self_loop
    edges, count = graph.edges[proper], graph.counts[proper]
    src, dst = edges["source"].to_numpy(), edges["target"].to_numpy()
    manual = (edges["kind"] == "manual").to_numpy()
    department = graph.nodes["department"].to_numpy(dtype=object) if "department" in graph.nodes else None
    if department is not None and len(edges):
        known = pd.notna(department[src]) & pd.notna(department[dst])
        crossing = known & (department[src] != department[dst])
    else:
        crossing = np.zeros(len(edges), bool)

    def tally(nodes: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        weights = count if where is None else count[where]
        return np.bincount(nodes if where is None else nodes[where], weights=weights, minlength=n).astype(np.int64)

    return {
        "fan_in": tally(dst),
        "fan_out": tally(src),
        "manual_interfaces": tally(src, manual) + tally(dst, manual),
        "cross_department_interfaces": tally(src, crossing) + tally(dst, crossing),
    }


def department_view(graph: EstateGraph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the department-level graph (interface counts) and each department's cross-boundary share."""
    department = graph.nodes["department"].to_numpy(dtype=object)
    proper = ~graph.self_loop
    edges = graph.edges[proper]
    frame = pd.DataFrame(
        {
            "source_department": department[edges["source"].to_numpy()],
            "target_department": department[edges["target"].to_numpy()],
            "interfaces": graph.counts[proper],
        }
    ).dropna()
    links = (
        frame.groupby(["source_department", "target_department"])["interfaces"].sum().reset_index()
        .sort_values(["source_department", "target_department"], ignore_index=True)
    )  # fmt: skip
    crossing = frame["source_department"] != frame["target_department"]
    # an interface inside one department counts once for it; a crossing one counts for both ends
    ends = frame.assign(department=frame["source_department"], crossing=frame["interfaces"].where(crossing, 0))
    far = frame[crossing].assign(department=frame["target_department"], crossing=frame["interfaces"])
    touching = pd.concat([ends, far])[["department", "interfaces", "crossing"]]
    silos = touching.groupby("department").agg(
        interfaces=("interfaces", "sum"), cross_department_interfaces=("crossing", "sum")
    )
    all_departments = sorted(set(department[pd.notna(department)]))
    silos = silos.reindex(all_departments, fill_value=0).reset_index()
    silos["interfaces"] = silos["interfaces"].astype(np.int64)
    silos["cross_department_interfaces"] = silos["cross_department_interfaces"].astype(np.int64)
    silos["cross_department_share"] = np.where(
        silos["interfaces"] > 0, silos["cross_department_interfaces"] / silos["interfaces"].clip(lower=1), 0.0
    )
    return links, silos


def findings(graph: EstateGraph) -> pd.DataFrame:
    """Return the graph's own findings: orphans (no interface to or from another system) and parallel interfaces.

    The findings that name an interface (a reference to a system not in the inventory, a self-loop) are
    found where the interfaces are, before the graph is built (pipeline.relational.interface_findings).
    """
    ids = graph.nodes["system_id"].to_numpy()
    missing = graph.nodes["missing"].to_numpy()
    proper = ~graph.self_loop
    edges = graph.edges[proper]
    rows: list[dict[str, object]] = []
    linked = np.zeros(graph.node_count, bool)
    linked[edges["source"].to_numpy()] = True
    linked[edges["target"].to_numpy()] = True
    for node in np.flatnonzero(~linked & ~missing):
        rows.append(
            {
                "kind": "orphan",
                "system_id": ids[node],
                "interface_id": None,
                "detail": "no interfaces to or from other systems",
            }
        )
    pairs = pd.DataFrame({"source": edges["source"], "target": edges["target"], "n": graph.counts[proper]})
    pairs = pairs.groupby(["source", "target"])["n"].sum()
    for (source, target), count in pairs[pairs > 1].items():
        rows.append(
            {
                "kind": "parallel_interfaces",
                "system_id": ids[source],
                "interface_id": None,
                "detail": f"{count} interfaces from '{ids[source]}' to '{ids[target]}' (all counted)",
            }
        )
    return pd.DataFrame(rows, columns=["kind", "system_id", "interface_id", "detail"])


def blast_radius_of(graph: EstateGraph, system_id: str) -> list[str]:
    """Return the sorted IDs of every inventory system transitively downstream of one system."""
    position = pd.Index(graph.nodes["system_id"]).get_loc(system_id)
    reached = rx.descendants(graph.rustworkx(), position)
    missing = graph.nodes["missing"].to_numpy()
    ids = graph.nodes["system_id"].to_numpy()
    return sorted(ids[node] for node in reached if not missing[node])
