"""Graph benchmark: 100,000 systems / 500,000 interfaces, estate against networkx and rustworkx in one run.

The synthetic estate (SYNTHETIC) mimics the sample generator: 12 departments, 80% of interfaces
inside a department, older systems feeding newer ones, a coupled 3-cycle per 80 systems (which
joins much of the estate into one large cluster, the hard case for reachability) and dangling
references. Where a baseline would take minutes, it is timed on a random sample of nodes and
scaled up; the table says so.

    python benchmarks/bench_graph.py [--systems 100000] [--interfaces 500000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import rustworkx as rx
from summary import emit, peak_rss_mb, row
from synthetic import synthetic_estate

from dependency_graph import analyse_graph, build_graph
from dependency_graph.betweenness import sampled_betweenness
from dependency_graph.metrics import condensation, generations, strongly_connected
from dependency_graph.reach import reach_counts
from estate.store import connect


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def analyse_stored_graph(db: Path, samples: int):
    """Load the stored graph from DuckDB and analyse it: the graph stage of `estate analyse`."""
    from estate.store import connect
    from pipeline.run import load_graph

    with connect(db, read_only=True) as connection:
        graph = load_graph(connection)
    return analyse_graph(graph, samples, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=100_000)
    parser.add_argument("--interfaces", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=64, help="betweenness sources")
    args = parser.parse_args()
    systems, interfaces = synthetic_estate(args.systems, args.interfaces)
    rows: list[tuple[str, float, float, float, str]] = []

    # build
    t_ours, graph = timed(build_graph, systems, interfaces)
    t_ours += timed(graph.rustworkx)[0] + timed(graph.rustworkx, True)[0]
    pairs = graph.edges[["source", "target"]].to_numpy()
    edge_list = list(map(tuple, pairs.tolist()))
    t_nx, nx_graph = timed(lambda: nx.DiGraph(edge_list))
    t_rx, rx_graph = timed(lambda: _rx_graph(graph.node_count, edge_list))
    rows.append(
        (
            "build graph from integer pairs (baselines); ours from string IDs",
            t_ours,
            t_nx,
            t_rx,
            "ours also maps IDs, adds placeholders, dedupes and builds both directions",
        )
    )
    t_rx_ids = timed(_rx_graph_from_ids, systems, interfaces)[0]
    t_nx_ids = timed(_nx_graph_from_ids, systems, interfaces)[0]
    rows.append(
        (
            "build graph from string IDs (same work)",
            t_ours,
            t_nx_ids,
            t_rx_ids,
            "baselines map IDs with a dict, as a user of those libraries would",
        )
    )

    # PageRank
    t_ours = timed(rx.pagerank, graph.rustworkx(reverse=True))[0]
    t_nx = timed(nx.pagerank, nx_graph.reverse(copy=False))[0]
    t_rx = timed(rx.pagerank, rx_graph)[0]
    rows.append(("PageRank centrality", t_ours, t_nx, t_rx, ""))

    # strongly connected components
    t_ours, label = timed(strongly_connected, graph)
    t_nx = timed(lambda: list(nx.strongly_connected_components(nx_graph)))[0]
    t_rx = timed(rx.strongly_connected_components, rx_graph)[0]
    rows.append(("strongly connected clusters", t_ours, t_nx, t_rx, ""))

    # waves
    def ours_waves():
        dag = condensation(graph, label)
        return dag, generations(int(label.max()) + 1, dag)

    t_ours, (dag_edges, level) = timed(ours_waves)
    t_nx, nx_condensed = timed(nx.condensation, nx_graph)
    t_nx += timed(lambda: list(nx.topological_generations(nx_condensed)))[0]
    t_rx, rx_condensed = timed(rx.condensation, rx_graph)
    t_rx += timed(rx.topological_generations, rx_condensed)[0]
    rows.append(("condensation + waves (topological generations)", t_ours, t_nx, t_rx, ""))

    # blast radius for every system
    component_count = int(label.max()) + 1
    weight = np.bincount(label, weights=(~graph.nodes["missing"].to_numpy()).astype(float), minlength=component_count)
    t_ours = timed(reach_counts, weight, dag_edges, level)[0]
    rng = np.random.default_rng(0)
    sample = rng.choice(rx_condensed.num_nodes(), 500, replace=False).tolist()
    t_rx = timed(lambda: [len(rx.descendants(rx_condensed, c)) for c in sample])[0] * rx_condensed.num_nodes() / 500
    nx_sample = rng.choice(graph.node_count, 10, replace=False).tolist()
    t_nx = timed(lambda: [len(nx.descendants(nx_graph, v)) for v in nx_sample])[0] * graph.node_count / 10
    rows.append(
        (
            "blast radius, every system",
            t_ours,
            t_nx,
            t_rx,
            "rx: descendants per condensed node, 500 sampled; nx: per node, 10 sampled; scaled up",
        )
    )

    # betweenness
    sources = np.sort(np.random.default_rng(0).choice(graph.node_count, args.samples, replace=False))
    t_ours = timed(sampled_betweenness, graph.node_count, graph.simple_edges, sources)[0]
    k = 4
    t_nx = timed(nx.betweenness_centrality, nx_graph, k, True, None, False, 0)[0] * args.samples / k
    rows.append(
        (
            f"betweenness, {args.samples} sampled sources",
            t_ours,
            t_nx,
            float("nan"),
            f"nx: k={k}, scaled to {args.samples}; rustworkx has exact betweenness only",
        )
    )

    # everything estate analyse computes, in memory and then from and back to a DuckDB store
    t_all = timed(analyse_graph, graph, args.samples, 0)[0]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        with connect(db) as connection:
            connection.register("s", systems)
            connection.register("i", interfaces)
            connection.execute("INSERT INTO systems (system_id, department) SELECT system_id, department FROM s")
            connection.execute(
                "INSERT INTO interfaces (interface_id, source_system_id, target_system_id, kind) "
                "SELECT interface_id, source_system_id, target_system_id, kind FROM i"
            )
        t_store = timed(analyse_stored_graph, db, args.samples)[0]

    print(
        f"{args.systems:,} systems, {len(interfaces):,} interfaces (synthetic); "
        f"{component_count:,} components, largest cluster {np.bincount(label).max():,}\n"
    )
    print("| step | estate (s) | networkx (s) | rustworkx (s) | vs networkx | vs rustworkx | note |")
    print("|---|---|---|---|---|---|---|")
    for name, ours, base_nx, base_rx, note in rows:
        vs_rx = f"{ours / base_rx:.2f}x rx time" if base_rx == base_rx else "n/a"
        print(
            f"| {name} | {ours:.3f} | {base_nx:.3f} | {base_rx:.3f} | {base_nx / ours:.1f}x faster | {vs_rx} | {note} |"
        )
    counted = rows[1:]  # the string-ID build row stands for the build
    ours_all = sum(r[1] for r in counted)
    total_nx = sum(r[2] for r in counted)
    with_rx = [r for r in counted if r[3] == r[3]]
    total_rx = sum(r[3] for r in with_rx)
    ours_rx_steps = sum(r[1] for r in with_rx)
    print(
        f"\nall steps (string-ID build): estate {ours_all:.2f} s, networkx {total_nx:.2f} s "
        f"({total_nx / ours_all:.1f}x slower)"
    )
    print(
        f"steps rustworkx can do: estate {ours_rx_steps:.2f} s vs rustworkx {total_rx:.2f} s "
        f"({ours_rx_steps / total_rx:.2f}x rustworkx time; target <= 2x)"
    )
    print(f"analyse_graph end to end (all metrics, findings, department view): {t_all:.2f} s")
    print(f"graph stage of `estate analyse` (load from DuckDB, analyse): {t_store:.2f} s")
    rss = peak_rss_mb()
    emit([
        row("graph steps rustworkx can do (100k/500k)", ours_rx_steps, "rustworkx, same steps", total_rx, "<= 2x",
            ours_rx_steps <= 2 * total_rx, rss),
        row("graph, all steps (100k/500k)", ours_all, "networkx, same steps", total_nx, "<= 0.1x (10x faster)",
            ours_all * 10 <= total_nx, rss),
    ])  # fmt: skip


def _rx_graph_from_ids(systems: pd.DataFrame, interfaces: pd.DataFrame) -> rx.PyDiGraph:
    index = {system_id: i for i, system_id in enumerate(systems["system_id"].tolist())}
    sources = [index.setdefault(s, len(index)) for s in interfaces["source_system_id"].tolist()]
    targets = [index.setdefault(t, len(index)) for t in interfaces["target_system_id"].tolist()]
    return _rx_graph(len(index), list(zip(sources, targets, strict=True)))


def _nx_graph_from_ids(systems: pd.DataFrame, interfaces: pd.DataFrame) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(systems["system_id"].tolist())
    graph.add_edges_from(
        zip(interfaces["source_system_id"].tolist(), interfaces["target_system_id"].tolist(), strict=True)
    )
    return graph


def _rx_graph(n: int, edge_list: list[tuple[int, int]]) -> rx.PyDiGraph:
    graph = rx.PyDiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from_no_data(edge_list)
    return graph


if __name__ == "__main__":
    main()
