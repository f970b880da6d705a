"""The one machine-readable line each benchmark prints last, which `benchmarks/run.py` collects."""

from __future__ import annotations

import json
import resource

MARKER = "BENCHMARK-SUMMARY "


def row(
    step: str,
    seconds: float,
    baseline: str = "",
    baseline_seconds: float | None = None,
    target: str = "",
    met: bool | None = None,
    peak_rss_mb: float | None = None,
) -> dict:
    """Return one summary row: ratio = seconds / baseline_seconds (below 1: faster than the baseline)."""
    ratio = seconds / baseline_seconds if baseline_seconds else None
    return {"step": step, "seconds": seconds, "baseline": baseline, "baseline_seconds": baseline_seconds,
            "ratio": ratio, "target": target, "met": met, "peak_rss_mb": peak_rss_mb}  # fmt: skip


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(rows: list[dict]) -> None:
    """Print the summary rows as the benchmark's last line."""
    print(MARKER + json.dumps(rows))
