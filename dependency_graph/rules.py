"""The graph layer's rules in words and its file formats: cheap to import (the CLI's help text uses them)."""

GRAPH_FORMATS = (".graphml", ".gexf", ".json")

WAVE_RULE = (
    "Waves: systems that must move together (a strongly connected cluster) are condensed into one "
    "node; wave 1 holds the clusters and systems that depend on no other system in the estate, and "
    "each later wave holds those whose upstream providers all sit in earlier waves (the topological "
    "generations of the condensed graph). So every system's providers are in the same wave (same "
    "cluster) or an earlier one, and every member of a cluster shares its wave."
)
