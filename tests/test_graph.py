"""Dependency graph: hand-built graphs with known answers, properties on random graphs, CLI and export."""

from __future__ import annotations

import json

import ibis
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dependency_graph.reach as reach
from dependency_graph import EmptyEstate, analyse_graph, blast_radius_of, build_graph
from dependency_graph.betweenness import sampled_betweenness
from pipeline.relational import interface_findings, interface_pairs
from tests.conftest import run_estate, write_xlsx


def _interfaces(edges, kinds=None) -> pd.DataFrame:
    """Return one interface row per (source, target) pair, numbered I0, I1, ... in order."""
    return pd.DataFrame(
        {
            "interface_id": [f"I{i}" for i in range(len(edges))],
            "source_system_id": [e[0] for e in edges],
            "target_system_id": [e[1] for e in edges],
            "kind": kinds or ["api"] * len(edges),
            "frequency": [None] * len(edges),
            "criticality": [None] * len(edges),
        },
        dtype=object,
    )


def graph_of(edges, systems=None, departments=None, kinds=None):
    """Build a graph from (source, target) pairs; systems default to every named node."""
    names = systems if systems is not None else sorted({n for e in edges for n in e})
    departments = departments or {}
    frame = pd.DataFrame({"system_id": names, "department": [departments.get(n, "D") for n in names]})
    return build_graph(frame, _interfaces(edges, kinds))


def metrics_of(edges, **kwargs):
    return analyse_graph(graph_of(edges, **kwargs)).metrics.set_index("system_id")


def test_chain():
    m = metrics_of([("a", "b"), ("b", "c")])
    assert m["blast_radius"].to_dict() == {"a": 2, "b": 1, "c": 0}
    assert m["upstream_dependencies"].to_dict() == {"a": 0, "b": 1, "c": 2}
    assert m["wave"].to_dict() == {"a": 1, "b": 2, "c": 3}
    assert m["cluster_id"].isna().all() and (m["cluster_size"] == 1).all()


def test_diamond():
    m = metrics_of([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    assert m["blast_radius"].to_dict() == {"a": 3, "b": 1, "c": 1, "d": 0}
    assert m["upstream_dependencies"]["d"] == 3
    assert m["wave"].to_dict() == {"a": 1, "b": 2, "c": 2, "d": 3}
    assert m["fan_in"]["d"] == 2 and m["fan_out"]["a"] == 2


def test_three_cycle_is_one_cluster_in_one_wave():
    m = metrics_of([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert m.loc[["a", "b", "c"], "cluster_id"].tolist() == [1, 1, 1]
    assert m.loc[["a", "b", "c"], "cluster_size"].tolist() == [3, 3, 3]
    assert m["wave"].to_dict() == {"a": 1, "b": 1, "c": 1, "d": 2}
    assert m["blast_radius"].to_dict() == {"a": 3, "b": 3, "c": 3, "d": 0}
    assert m["upstream_dependencies"]["d"] == 3 and m["upstream_dependencies"]["a"] == 2


def test_two_components():
    m = metrics_of([("a", "b"), ("c", "d"), ("d", "e")])
    assert m["component_id"].to_dict() == {"c": 1, "d": 1, "e": 1, "a": 2, "b": 2}


def test_star_hub_is_most_central():
    m = metrics_of([("hub", f"s{i}") for i in range(5)])
    assert m["blast_radius"]["hub"] == 5 and m["fan_out"]["hub"] == 5
    assert m["centrality"].idxmax() == "hub"
    assert m["centrality"].sum() == pytest.approx(1.0)


def test_bad_graph_input_is_reported_not_fatal():
    edges = [("a", "a"), ("a", "GHOST"), ("a", "b"), ("a", "b"), ("x", "b")]
    analysis = analyse_graph(graph_of(edges, systems=["a", "b", "c", "x"], kinds=["manual"] * 5))
    m = analysis.metrics.set_index("system_id")
    assert sorted(m.index) == ["a", "b", "c", "x"]
    assert m["fan_out"]["a"] == 3 and m["fan_in"]["b"] == 3
    assert m["manual_interfaces"]["a"] == 3
    assert m["blast_radius"]["a"] == 1  # b; the GHOST placeholder is not an inventory system
    kinds = analysis.findings.groupby("kind")["system_id"].apply(sorted).to_dict()
    assert kinds == {"orphan": ["c"], "parallel_interfaces": ["a"]}  # the graph's own findings
    named = interface_findings(ibis.memtable(_interfaces(edges)), ibis.memtable({"system_id": ["a", "b", "c", "x"]}))
    found = named.to_pandas()  # those that name an interface, found where the interfaces are (here DuckDB)
    assert found[["kind", "system_id", "interface_id"]].values.tolist() == [
        ["dangling_reference", "GHOST", "I1"], ["self_loop", "a", "I0"]
    ]  # fmt: skip
    assert found["detail"].iloc[0] == "target 'GHOST' is not in the inventory (kept as a placeholder node)"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcdefG"), st.sampled_from("abcdefH"), st.sampled_from(["api", "manual"])),
             max_size=30),
    st.dictionaries(st.sampled_from("abcdef"), st.sampled_from(["D1", "D2", "D3"])),
)  # fmt: skip
def test_a_graph_of_aggregated_pairs_gives_the_figures_of_one_row_per_interface(links, departments):
    """The graph is built from interfaces aggregated to (source, target, kind) with their count: nothing changes."""
    names = list("abcdef")
    edges, kinds = [(s, t) for s, t, _ in links], [k for _, _, k in links]
    raw = graph_of(edges, systems=names, departments=departments, kinds=kinds)
    pairs = interface_pairs(ibis.memtable(_interfaces(edges, kinds))).to_pandas()
    systems = pd.DataFrame({"system_id": names, "department": [departments.get(n, "D") for n in names]})
    aggregated = build_graph(systems, pairs)
    one, other = analyse_graph(raw), analyse_graph(aggregated)
    pd.testing.assert_frame_equal(one.metrics, other.metrics)
    pd.testing.assert_frame_equal(one.department_links, other.department_links)
    pd.testing.assert_frame_equal(one.department_silos, other.department_silos)
    pd.testing.assert_frame_equal(one.findings, other.findings)
    assert int(aggregated.counts.sum()) == len(links)
    exported = aggregated.to_networkx()
    assert sum(d["interfaces"] for _, _, d in exported.edges(data=True)) == len(links)


def test_empty_estate():
    with pytest.raises(EmptyEstate, match="estate import"):
        graph_of([], systems=[])


def test_one_huge_cluster():
    n = 3000
    m = metrics_of([(f"n{i:04d}", f"n{(i + 1) % n:04d}") for i in range(n)])
    assert (m["cluster_size"] == n).all() and (m["wave"] == 1).all()
    assert (m["blast_radius"] == n - 1).all() and (m["upstream_dependencies"] == n - 1).all()


def test_isolated_systems_only():
    m = metrics_of([], systems=["a", "b"])
    assert m["blast_radius"].tolist() == [0, 0] and m["wave"].tolist() == [1, 1]
    assert m["component_id"].tolist() == [1, 2]


def test_blast_radius_list_on_request():
    graph = graph_of([("a", "b"), ("b", "c"), ("b", "GHOST"), ("d", "a")], systems=["a", "b", "c", "d"])
    assert blast_radius_of(graph, "a") == ["b", "c"]


def test_department_view():
    departments = {"a": "X", "b": "X", "c": "Y", "d": "Z"}
    analysis = analyse_graph(graph_of([("a", "b"), ("a", "c"), ("c", "d"), ("b", "c")], departments=departments))
    links = {(r.source_department, r.target_department): r.interfaces for r in analysis.department_links.itertuples()}
    assert links == {("X", "X"): 1, ("X", "Y"): 2, ("Y", "Z"): 1}
    silos = analysis.department_silos.set_index("department")
    assert silos["interfaces"].to_dict() == {"X": 3, "Y": 3, "Z": 1}
    assert silos["cross_department_share"].to_dict() == pytest.approx({"X": 2 / 3, "Y": 1.0, "Z": 1.0})
    assert analysis.metrics.set_index("system_id")["cross_department_interfaces"].to_dict() == {
        "a": 1,
        "b": 1,
        "c": 3,
        "d": 1,
    }


def test_batched_brandes_with_every_source_is_exact_betweenness():
    rng = np.random.default_rng(5)
    edges = np.unique(rng.integers(0, 60, (240, 2)), axis=0)
    edges = edges[edges[:, 0] != edges[:, 1]]
    expected = nx.betweenness_centrality(nx.DiGraph(edges.tolist()), normalized=True)
    got = sampled_betweenness(60, edges, np.arange(60))
    assert got == pytest.approx([expected.get(i, 0.0) for i in range(60)], abs=1e-12)


@st.composite
def digraphs(draw, dag: bool):
    n = draw(st.integers(1, 40))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))
    if dag:
        pairs = [(min(a, b), max(a, b)) for a, b in pairs if a != b]
    return n, pairs


def _check_properties(n, pairs):
    names = [f"s{i:02d}" for i in range(n)]
    edges = [(names[a], names[b]) for a, b in pairs]
    m = metrics_of(edges, systems=names)
    assert len(m) == n and m["wave"].notna().all() and (m["wave"] >= 1).all()
    reference = nx.DiGraph()
    reference.add_nodes_from(names)
    reference.add_edges_from(edges)
    reference.remove_edges_from(nx.selfloop_edges(reference))
    cluster = {node: i for i, c in enumerate(nx.strongly_connected_components(reference)) for node in c}
    for u, v in reference.edges:
        if cluster[u] != cluster[v]:
            assert m["wave"][u] < m["wave"][v]
        else:
            assert m["wave"][u] == m["wave"][v]
    for node in names:
        assert m["blast_radius"][node] == len(nx.descendants(reference, node))
        assert m["upstream_dependencies"][node] == len(nx.ancestors(reference, node))


@settings(max_examples=60)
@given(digraphs(dag=False))
def test_random_digraph_properties(graph):
    _check_properties(*graph)


@settings(max_examples=40)
@given(digraphs(dag=True))
def test_random_dag_properties(graph):
    _check_properties(*graph)


@settings(max_examples=30)
@given(digraphs(dag=False))
def test_reach_counts_across_many_chunks(graph):
    original = reach.CHUNK_BITS
    reach.CHUNK_BITS = 3  # many tiny chunks: the chunk boundaries must not change any count
    try:
        _check_properties(*graph)
    finally:
        reach.CHUNK_BITS = original


@pytest.fixture
def analysed_db(tmp_path):
    workbook = write_xlsx(
        tmp_path / "estate.xlsx",
        {
            "Systems": [
                ["System ID", "Name", "Department"],
                ["A", "a", "X"],
                ["B", "b", "X"],
                ["C", "c", "Y"],
                ["D", "d", "Y"],
            ],
            "Interfaces": [
                ["From", "To", "Kind"],
                ["A", "B", "api"],
                ["B", "C", "manual"],
                ["C", "B", "file"],
                ["C", "ZZ", "batch"],
            ],
        },
    )
    db = tmp_path / "e.duckdb"
    assert run_estate("import", str(workbook), "--db", str(db)).returncode == 0
    return db


def test_cli_analyse_stores_system_metrics(analysed_db):
    import duckdb

    result = run_estate("analyse", "--db", str(analysed_db))
    assert result.returncode == 0, result.stderr
    assert "2 modernisation wave(s); 1 coupled cluster(s), largest 2 systems" in result.stdout
    with duckdb.connect(str(analysed_db), read_only=True) as connection:
        rows = connection.sql(
            "SELECT system_id, blast_radius, cluster_id, wave FROM system_metrics ORDER BY 1"
        ).fetchall()
        columns = [r[0] for r in connection.sql("DESCRIBE system_metrics").fetchall()]
        assert (
            connection.execute("SELECT count(*) FROM graph_findings WHERE kind = 'dangling_reference'").fetchone()[0]
            == 1
        )
    assert rows == [("A", 2, None, 1), ("B", 1, 1, 2), ("C", 1, 1, 2), ("D", 0, None, 1)]
    for name in (
        "fan_in",
        "fan_out",
        "manual_interfaces",
        "centrality",
        "blast_radius",
        "cluster_id",
        "cluster_size",
        "component_id",
        "wave",
    ):
        assert name in columns
    payload = json.loads(run_estate("analyse", "--db", str(analysed_db), "--json").stdout)
    assert payload["waves"] == 2 and payload["findings"] == {"dangling_reference": 1, "orphan": 1}


def test_cli_analyse_empty_estate(tmp_path):
    result = run_estate("analyse", "--db", str(tmp_path / "empty.duckdb"))
    assert result.returncode == 1 and "estate import" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json"])
def test_cli_graph_export_reads_back(analysed_db, tmp_path, suffix):
    out = tmp_path / f"estate{suffix}"
    result = run_estate("graph", "--db", str(analysed_db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    if suffix == ".graphml":
        graph = nx.read_graphml(out)
    elif suffix == ".gexf":
        graph = nx.read_gexf(out)
    else:
        graph = nx.node_link_graph(json.loads(out.read_text()), edges="edges")
    assert sorted(graph.nodes) == ["A", "B", "C", "D", "ZZ"]
    assert graph.number_of_edges() == 4
    assert str(graph.nodes["ZZ"]["missing"]).lower() == "true"


def test_cli_graph_rejects_unknown_format(analysed_db, tmp_path):
    result = run_estate("graph", "--db", str(analysed_db), "--out", str(tmp_path / "g.png"))
    assert result.returncode == 2 and not (tmp_path / "g.png").exists()


def test_readme_states_the_wave_rule():
    from pathlib import Path

    from dependency_graph import WAVE_RULE

    readme = " ".join((Path(__file__).parents[1] / "docs" / "model.md").read_text(encoding="utf-8").split())
    assert WAVE_RULE.removeprefix("Waves: ") in readme
