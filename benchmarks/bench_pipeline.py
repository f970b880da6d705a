"""End to end at scale: import -> analyse (1,000 draws) -> rank -> export -> report, each a real `estate` command.

The input is `estate sample --systems 100000` (synthetic): a workbook of 100,000 systems with
500,000 interfaces and about 2 million cost lines beside it as Parquet. Each command runs in its
own process; its wall time includes interpreter start-up, and its peak RSS is its own (measured
by a wrapper that runs the command in-process and reads getrusage). Writing the sample is timed
too but is not part of the pipeline target.

    python benchmarks/bench_pipeline.py [--systems 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from summary import emit, peak_rss_mb, row

TARGET_SECONDS = 60
TARGET_RSS_MB = 4096


def run_in_process(arguments: list[str]) -> None:
    """Run one `estate` command in this process; print its peak RSS (MB) as the last line."""
    from app.cli import main

    sys.argv = ["estate", *arguments]
    try:
        main()
    except SystemExit as exit_:
        if exit_.code:
            raise
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}))


def step(arguments: list[str], cwd: Path) -> dict:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(arguments)], cwd=cwd, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if out.returncode:
        raise SystemExit(f"estate {' '.join(arguments)} failed:\n{out.stderr[-2000:]}")
    return {"seconds": seconds, **json.loads(out.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_in_process(json.loads(args.child))
        return
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        sample = step(["sample", "--systems", str(args.systems), "--out", "estate.xlsx"], cwd)
        files = sorted(p.name for p in cwd.iterdir() if p.name.startswith("estate") and p.suffix != ".duckdb")
        sizes = {name: (cwd / name).stat().st_size for name in files}
        pipeline = {
            "import": ["import", *files, "--db", "e.duckdb"],
            "analyse (1,000 draws)": ["analyse", "--db", "e.duckdb", "--draws", "1000", "--as-of", "2026-11-25"],
            "rank": ["rank", "--db", "e.duckdb", "--top", "20"],
            "export (finance workbook)": ["export", "--db", "e.duckdb", "--out", "finance.xlsx"],
            "report (html, pdf, data, manifest)": ["report", "--db", "e.duckdb", "--out", "report"],
        }
        results = {name: step(arguments, cwd) for name, arguments in pipeline.items()}
        import duckdb

        with duckdb.connect(str(cwd / "e.duckdb"), read_only=True) as connection:
            counts = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("systems", "interfaces", "costs")}  # fmt: skip
    total = sum(r["seconds"] for r in results.values())
    peak = max(r["peak_rss_mb"] for r in results.values())
    print(
        f"{counts['systems']:,} systems, {counts['interfaces']:,} interfaces, {counts['costs']:,} cost lines "
        f"(synthetic; inputs {', '.join(f'{n} {s / 1e6:.1f} MB' for n, s in sizes.items())})\n"
    )
    print("| step | seconds | peak RSS (MB) |")
    print("|---|---|---|")
    print(f"| (writing the sample: not part of the target) | {sample['seconds']:.1f} | {sample['peak_rss_mb']:,.0f} |")
    for name, result in results.items():
        print(f"| `estate {name}` | {result['seconds']:.1f} | {result['peak_rss_mb']:,.0f} |")
    print(f"| **pipeline** | **{total:.1f}** | **{peak:,.0f}** (largest step) |")
    print(f"\nimport -> report: {total:.1f} s (target < {TARGET_SECONDS} s); peak RSS {peak:,.0f} MB "
          f"(target < {TARGET_RSS_MB:,} MB)")  # fmt: skip
    emit([
        row(f"pipeline import -> report, {counts['systems']:,} systems / {counts['interfaces']:,} interfaces / "
            f"{counts['costs']:,} cost lines", total, "", None, f"< {TARGET_SECONDS} s, < {TARGET_RSS_MB:,} MB",
            total < TARGET_SECONDS and peak < TARGET_RSS_MB, peak),
        *[row(f"pipeline step: {name}", r["seconds"], "", None, "", None, r["peak_rss_mb"])
          for name, r in results.items()],
    ])  # fmt: skip


if __name__ == "__main__":
    main()
