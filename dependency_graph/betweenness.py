"""Betweenness centrality: exact (rustworkx) on small graphs, source-sampled Brandes on large ones."""

from __future__ import annotations

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
        scores = rx.digraph_betweenness_centrality(graph, normalized=True)
        return np.array([scores[i] for i in range(node_count)], np.float64), node_count
    sources = np.sort(np.random.default_rng(seed).choice(node_count, size=samples, replace=False))
    return sampled_betweenness(node_count, edges, sources), samples


def sampled_betweenness(node_count: int, edges: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Return betweenness estimated from shortest paths out of `sources` (Brandes; scaled by n/k).

    With every node as a source this is exact betweenness, normalised by 1/((n-1)(n-2)).
    Sources are processed in batches: each BFS level is one sparse-matrix product.
    """
    n = node_count
    if n < 3:
        return np.zeros(n)
    adjacency = sp.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    incoming = adjacency.T.tocsr()
    total = np.zeros(n)
    for start in range(0, len(sources), BATCH):
        total += _brandes_batch(adjacency, incoming, sources[start : start + BATCH])
    return total * (n / len(sources)) / ((n - 1) * (n - 2))


def _brandes_batch(adjacency: sp.csr_matrix, incoming: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    n, k = adjacency.shape[0], len(sources)
    columns = np.arange(k)
    sigma = np.zeros((n, k))
    sigma[sources, columns] = 1.0
    distance = np.full((n, k), -1, np.int32)
    distance[sources, columns] = 0
    frontier = sigma.copy()
    level = 0
    while True:
        reached = incoming @ frontier
        new = (reached > 0) & (distance < 0)
        if not new.any():
            break
        level += 1
        distance[new] = level
        sigma[new] = reached[new]
        frontier = np.where(new, reached, 0.0)
    delta = np.zeros((n, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        for depth in range(level, 0, -1):
            at_depth = distance == depth
            share = np.where(at_depth, (1.0 + delta) / sigma, 0.0)
            pulled = adjacency @ share
            before = distance == depth - 1
            delta += np.where(before, sigma * pulled, 0.0)
    delta[sources, columns] = 0.0
    return delta.sum(axis=1)
