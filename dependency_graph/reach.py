"""Reachability counts for every node at once, on the condensation, with chunked bitsets.

One BFS per node costs O(n * m). Instead the strongly connected components are condensed to a
DAG and processed from the last topological generation back to the first: each component's
reach is its own bit ORed with its children's reach. Bits are processed in chunks of
`CHUNK_BITS` components so memory stays bounded (components x chunk/8 bytes per chunk).
"""

from __future__ import annotations

import numpy as np

CHUNK_BITS = 8192


def reach_counts(component_weight: np.ndarray, dag_edges: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Return, per component, the total weight of the components it reaches, itself included.

    `dag_edges` are (source, target) component pairs of an acyclic graph; `rank` must increase
    along every edge (e.g. the topological generation), so that children are final before parents.
    Components are renumbered by rank first, so a chunk of bits belongs to a band of ranks and the
    edge groups whose sources rank at or above the band's top (which cannot reach it) are skipped.
    """
    count = len(component_weight)
    if count == 0:
        return np.zeros(0, np.int64)
    by_rank = np.argsort(rank, kind="stable")  # new label -> old label
    label = np.empty(count, np.int64)
    label[by_rank] = np.arange(count)
    rank = rank[by_rank]
    weight = component_weight[by_rank].astype(np.float64)
    edges = label[dag_edges] if len(dag_edges) else dag_edges
    groups = _edge_groups(edges, rank)
    group_rank = np.array([rank[sources[0]] for sources, _, _, _ in groups])  # descending
    totals = np.zeros(count, np.float64)
    for start in range(0, count, CHUNK_BITS):
        stop = min(count, start + CHUNK_BITS)
        words = (stop - start + 63) // 64
        # Only components numbered below `stop` can reach the band (rank rises along every edge and
        # components are numbered by rank), so edges into later targets are dropped per band.
        reach = np.zeros((stop, words), np.uint64)
        own = np.arange(start, stop)
        offset = own - start
        reach[own, offset // 64] = np.uint64(1) << (offset % 64).astype(np.uint64)
        top = rank[stop - 1]  # the band's highest rank: sources ranked >= top reach none of it
        first_useful = int(np.searchsorted(-group_rank, -top, side="right"))
        for sources, first, targets, edge_sources in groups[first_useful:]:
            inside = targets < stop  # a target numbered at or past `stop` holds no bit of this band
            if not inside.all():
                if not inside.any():
                    continue
                edge_sources, targets = edge_sources[inside], targets[inside]
                first = np.flatnonzero(np.r_[True, edge_sources[1:] != edge_sources[:-1]])
                sources = edge_sources[first]
            reach[sources] |= np.bitwise_or.reduceat(reach[targets], first, axis=0)
        totals[:stop] += _weighted_popcount(reach, weight[start:stop])
    result = np.empty(count, np.int64)
    result[by_rank] = np.rint(totals).astype(np.int64)
    return result


def _edge_groups(
    dag_edges: np.ndarray, rank: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Group edges by their source's rank, highest first; within a group sort by source.

    Each group is (distinct sources, index of each source's first edge, targets, each edge's source).
    """
    if len(dag_edges) == 0:
        return []
    src, dst = dag_edges[:, 0], dag_edges[:, 1]
    order = np.lexsort((src, -rank[src]))
    src, dst = src[order], dst[order]
    ranks = rank[src]
    cuts = np.flatnonzero(np.diff(ranks)) + 1
    groups = []
    for s, d in zip(np.split(src, cuts), np.split(dst, cuts), strict=True):
        sources, first = np.unique(s, return_index=True)
        groups.append((sources, first, d, s))
    return groups


def _weighted_popcount(reach: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Return per row the sum of `weight` over the set bits (weight 1 counted by popcount)."""
    ones = weight == 1.0
    mask = np.zeros(reach.shape[1], np.uint64)
    positions = np.flatnonzero(ones)
    np.bitwise_or.at(mask, positions // 64, np.uint64(1) << (positions % 64).astype(np.uint64))
    totals = np.bitwise_count(reach & mask).sum(axis=1, dtype=np.int64).astype(np.float64)
    others = np.flatnonzero(~ones & (weight != 0))
    for block in np.array_split(others, max(1, len(others) // 512 + 1)):
        if len(block) == 0:
            continue
        bits = (reach[:, block // 64] >> (block % 64).astype(np.uint64)) & np.uint64(1)
        totals += bits.astype(np.float32) @ weight[block].astype(np.float32)
    return totals
