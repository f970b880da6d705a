"""The estate graph: systems as nodes, interfaces as edges (source -> target: the target consumes the source)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import rustworkx as rx

NODE_ATTRIBUTES = (
    "name", "department", "business_service", "platform", "technology", "vendor", "go_live_year",
    "end_of_support", "criticality", "users", "cddo_risk",
)  # fmt: skip
EDGE_ATTRIBUTES = ("interface_id", "kind", "frequency", "criticality")


class EmptyEstate(ValueError):
    """There are no systems to analyse."""


@dataclass
class EstateGraph:
    """Systems and interfaces as integer-indexed arrays, with placeholders for unknown systems.

    `nodes` has one row per node (inventory systems first, sorted by system_id, then placeholder
    nodes marked `missing` for IDs that interfaces name but the inventory lacks). `edges` has one
    row per interface, or per (source, target, kind) with its count in `interfaces` when the edge list
    was aggregated first (pipeline.relational.interface_pairs), with `source` and `target` node
    positions; every metric counts interfaces, so both give the same figures.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def node_count(self) -> int:
        """Return the number of nodes, placeholders included."""
        return len(self.nodes)

    @property
    def system_count(self) -> int:
        """Return the number of inventory systems (placeholders excluded)."""
        return int((~self.nodes["missing"]).sum())

    @cached_property
    def counts(self) -> np.ndarray:
        """Return how many interfaces each edge row stands for (1 a row unless aggregated), as int64."""
        if "interfaces" in self.edges:
            return self.edges["interfaces"].to_numpy(np.int64)
        return np.ones(len(self.edges), np.int64)

    @cached_property
    def self_loop(self) -> np.ndarray:
        """Return a boolean mask over edges: True where an interface joins a system to itself."""
        return self.edges["source"].to_numpy() == self.edges["target"].to_numpy()

    @cached_property
    def simple_edges(self) -> np.ndarray:
        """Return the distinct (source, target) pairs without self-loops, as an (m, 2) int64 array."""
        source = self.edges["source"].to_numpy(np.int64)[~self.self_loop]
        target = self.edges["target"].to_numpy(np.int64)[~self.self_loop]
        return unique_pairs(source, target, self.node_count)

    def rustworkx(self, reverse: bool = False) -> rx.PyDiGraph:
        """Return the simple directed graph (self-loops and parallel edges collapsed) in rustworkx."""
        key = ("rx", reverse)
        if key not in self._cache:
            if reverse:
                graph = self.rustworkx().copy()
                graph.reverse()
            else:
                graph = rustworkx_graph(self.node_count, self.simple_edges)
            self._cache[key] = graph
        return self._cache[key]

    def to_networkx(self) -> nx.DiGraph:
        """Return a networkx DiGraph keyed by system_id; parallel interfaces become one edge with a count."""
        graph = nx.DiGraph()
        for row in self.nodes.to_dict("records"):
            attributes = {k: _plain(v) for k, v in row.items() if k != "system_id" and _plain(v) is not None}
            graph.add_node(row["system_id"], **attributes)
        ids = self.nodes["system_id"].to_numpy()
        for row, count in zip(self.edges.to_dict("records"), self.counts.tolist(), strict=True):
            u, v = ids[row["source"]], ids[row["target"]]
            if graph.has_edge(u, v):
                data = graph.edges[u, v]
                data["interfaces"] += count
                if "interface_id" in row:
                    data["interface_ids"] += f",{row['interface_id']}"
                continue
            attributes = {k: _plain(row[k]) for k in EDGE_ATTRIBUTES if _plain(row.get(k)) is not None}
            attributes["interface_ids"] = attributes.pop("interface_id", "")
            graph.add_edge(u, v, interfaces=count, **attributes)
        return graph


def unique_pairs(source: np.ndarray, target: np.ndarray, node_count: int) -> np.ndarray:
    """Return the distinct (source, target) pairs, sorted, as an (m, 2) int64 array."""
    keys = np.unique(source.astype(np.int64) * max(node_count, 1) + target)
    return np.stack([keys // max(node_count, 1), keys % max(node_count, 1)], axis=1)


def rustworkx_graph(node_count: int, pairs: np.ndarray) -> rx.PyDiGraph:
    """Return a rustworkx digraph of `node_count` nodes and these (already distinct) edges."""
    graph = rx.PyDiGraph(multigraph=True)  # pairs are distinct already; skips rustworkx's own check
    graph.add_nodes_from(range(node_count))
    graph.add_edges_from_no_data(list(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True)))
    return graph


def _plain(value: object) -> object:
    """Return a value graph file formats accept: None for missing, str for dates, int/float/str/bool else."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def build_graph(systems: pd.DataFrame, interfaces: pd.DataFrame) -> EstateGraph:
    """Return the graph of these systems and interfaces; unknown IDs become `missing` placeholder nodes."""
    if systems.empty:
        raise EmptyEstate("no systems to analyse: run `estate import FILE` first")
    nodes = systems.sort_values("system_id", kind="stable").reset_index(drop=True).assign(missing=False)
    known = _strings(nodes["system_id"])
    sources = _strings(interfaces["source_system_id"])
    targets = _strings(interfaces["target_system_id"])
    referenced = pc.unique(pa.concat_arrays([sources, targets]))
    unknown = pc.filter(referenced, pc.invert(pc.is_in(referenced, value_set=known)))
    if len(unknown):
        placeholders = pd.DataFrame({"system_id": sorted(unknown.to_pylist()), "missing": True})
        nodes = pd.concat([nodes, placeholders], ignore_index=True)
        known = _strings(nodes["system_id"])
    edges = interfaces.reset_index(drop=True).assign(
        source=pc.index_in(sources, value_set=known).to_numpy(zero_copy_only=False).astype(np.int64),
        target=pc.index_in(targets, value_set=known).to_numpy(zero_copy_only=False).astype(np.int64),
    )
    nodes["missing"] = nodes["missing"].astype(bool)
    return EstateGraph(nodes, edges)


def _strings(values: pd.Series) -> pa.Array:
    """Return a column of IDs as one Arrow string array, whatever pandas dtype holds it."""
    return pa.array(values.to_numpy(dtype=object, na_value=None), pa.string())
