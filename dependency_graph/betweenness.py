"""Betweenness centrality: exact (rustworkx) on small graphs, source-sampled Brandes on large ones."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import rustworkx as rx
import scipy.sparse as sp

EXACT_UP_TO_NODES = 5000
DEFAULT_SAMPLES = 64
BATCH = 64


def betweenness(
    node_count: int, edges: np.ndarray, graph: rx.PyDiGraph, samples: int = DEFAULT_SAMPLES, seed: int = 0
) -> tuple[np.ndarray, int]:
    """Return (normalised betweenness per node, number of source nodes used; = node count when exact)."""
    if node_count <= EXACT_UP_TO_NODES or samples >= node_count:
        # One thread: rustworkx's parallel sum changes the last digits between runs, and reruns must be identical.
        scores = rx.digraph_betweenness_centrality(graph, normalized=True, parallel_threshold=EXACT_UP_TO_NODES + 1)
        return np.array([scores[i] for i in range(node_count)], np.float64), node_count
    sources = np.sort(np.random.default_rng(seed).choice(node_count, size=samples, replace=False))
    return sampled_betweenness(node_count, edges, sources), samples


def sampled_betweenness(node_count: int, edges: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Return betweenness estimated from shortest paths out of `sources` (Brandes; scaled by n/k).

    With every node as a source this is exact betweenness, normalised by 1/((n-1)(n-2)).
    Sources are processed in batches: each BFS level is one sparse-matrix product. Two batches
    run at once (scipy and numpy release the GIL in these kernels).
    """
    n = node_count
    if n < 3 or len(sources) == 0:
        return np.zeros(n)
    adjacency = sp.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    incoming = adjacency.T.tocsr()
    batches = [sources[i : i + BATCH] for i in range(0, len(sources), BATCH)]
    if len(batches) == 1 and len(sources) > 8:
        batches = [sources[: len(sources) // 2], sources[len(sources) // 2 :]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        total = sum(pool.map(lambda batch: _brandes_batch(adjacency, incoming, batch), batches))
    return total * (n / len(sources)) / ((n - 1) * (n - 2))


def _brandes_batch(adjacency: sp.csr_matrix, incoming: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Return the summed dependencies of every node on the shortest paths out of these sources.

    Column j of each (node x source) matrix belongs to sources[j]. Each BFS level keeps only the
    (node, source) pairs first reached at that level, so one sparse product per level touches
    each edge once per source over the whole search, not once per level.
    """
    n, k = adjacency.shape[0], len(sources)
    columns = np.arange(k)
    sigma = np.zeros((n, k))
    sigma[sources, columns] = 1.0
    distance = np.full((n, k), -1, np.int32)
    distance[sources, columns] = 0
    levels = [(sources, columns)]
    rows, cols = sources, columns
    while True:
        frontier = sp.csr_matrix((sigma[rows, cols], (rows, cols)), shape=(n, k))
        reached = (incoming @ frontier).tocoo()
        fresh = distance[reached.row, reached.col] < 0
        rows, cols = reached.row[fresh], reached.col[fresh]
        if len(rows) == 0:
            break
        distance[rows, cols] = len(levels)
        sigma[rows, cols] = reached.data[fresh]
        levels.append((rows, cols))
    delta = np.zeros((n, k))
    for depth in range(len(levels) - 1, 0, -1):
        rows, cols = levels[depth]
        share = sp.csr_matrix(((1.0 + delta[rows, cols]) / sigma[rows, cols], (rows, cols)), shape=(n, k))
        pulled = (adjacency @ share).tocoo()
        keep = distance[pulled.row, pulled.col] == depth - 1
        r, c = pulled.row[keep], pulled.col[keep]
        delta[r, c] += sigma[r, c] * pulled.data[keep]
    delta[sources, columns] = 0.0
    return delta.sum(axis=1)
