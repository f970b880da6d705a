"""Large synthetic estates for benchmarks (SYNTHETIC: no real organisation), generated with numpy."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from estate.store import connect

PLATFORMS = np.array(["mainframe", "on_premises", "private_cloud", "public_cloud", "saas"])
TECHNOLOGIES = np.array(
    [
        "COBOL",
        "Oracle Forms 6i",
        "Java 6",
        "Java 17",
        ".NET Framework 4.6.1",
        "Salesforce",
        "Windows Server 2012",
        "Python 3.12",
    ]
)


def synthetic_estate(systems: int, interfaces: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (systems, interfaces) shaped like a departmental estate: 12 departments, 80% of interfaces
    inside a department, older systems feeding newer ones, a 3-cycle per 80 systems, 50 dangling references."""
    rng = np.random.default_rng(seed)
    department = rng.integers(0, 12, systems)
    order = np.argsort(department, kind="stable")
    bounds = np.searchsorted(department[order], np.arange(13))
    cycles = rng.integers(0, systems, (systems // 80, 3))
    plain = interfaces - cycles.size
    src = rng.integers(0, systems, plain)
    lo, hi = bounds[department[src]], bounds[department[src] + 1]
    same_department = order[lo + (rng.random(plain) * (hi - lo)).astype(np.int64)]
    dst = np.where(rng.random(plain) < 0.8, same_department, rng.integers(0, systems, plain))
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    a = np.concatenate([a, cycles[:, 0], cycles[:, 1], cycles[:, 2]])
    b = np.concatenate([b, cycles[:, 1], cycles[:, 2], cycles[:, 0]])
    ids = np.array([f"S{i:06d}" for i in range(systems)], dtype=object)
    target_ids = ids[b].copy()
    target_ids[rng.choice(len(b), 50, replace=False)] = [f"UNLISTED-{i}" for i in range(50)]
    systems_frame = pd.DataFrame({"system_id": ids, "department": [f"Department {d}" for d in department]})
    interfaces_frame = pd.DataFrame({
        "interface_id": [f"I{i}" for i in range(len(a))], "source_system_id": ids[a], "target_system_id": target_ids,
        "kind": rng.choice(["api", "file", "batch", "manual", "database_link"], len(a)), "frequency": None,
        "criticality": None,
    })  # fmt: skip
    return systems_frame, interfaces_frame


def add_attributes(systems: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    """Return the systems with the attributes the cost model reads."""
    rng = np.random.default_rng(seed)
    n = len(systems)
    eos = [date(2010, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 7000, n)]
    return systems.assign(
        name=[f"System {i}" for i in range(n)],
        platform=rng.choice(PLATFORMS, n),
        technology=rng.choice(TECHNOLOGIES, n),
        business_service=rng.choice(["Payroll", "Claims", "Licensing", "HR", "Grants"], n),
        go_live_year=rng.integers(1975, 2024, n),
        end_of_support=np.where(rng.random(n) < 0.6, pd.Series(eos, dtype=object), None),
        criticality=rng.integers(1, 6, n),
        users=rng.lognormal(7, 1.5, n).astype(np.int64),
        transactions_per_year=rng.lognormal(11, 2, n).astype(np.int64),
        support_fte=rng.uniform(0.5, 8, n).round(1),
        incidents_per_year=rng.integers(0, 100, n),
        outage_hours_per_year=rng.uniform(0, 30, n).round(1),
        known_vulnerabilities=rng.integers(0, 30, n),
        manual_workaround_hours_per_month=rng.uniform(0, 200, n).round(0),
        cddo_risk=rng.choice(np.array(["red", "amber", "green", None], dtype=object), n),
    )


def cost_lines(systems: pd.DataFrame, per_system: int, seed: int = 3) -> pd.DataFrame:
    """Return about `per_system` cost lines per system over three financial years; 12% of systems have none."""
    rng = np.random.default_rng(seed)
    costed = systems["system_id"].to_numpy()[rng.random(len(systems)) > 0.12]
    count = len(costed) * per_system
    return pd.DataFrame(
        {
            "system_id": np.repeat(costed, per_system),
            "financial_year": rng.choice(["2022-23", "2023-24", "2024-25"], count),
            "category": rng.choice(["licence", "support_contract", "hosting", "staff"], count),
            "amount_gbp": rng.lognormal(10, 1.2, count).round(2),
        }
    )


def write_store(db: Path, systems: pd.DataFrame, interfaces: pd.DataFrame, costs: pd.DataFrame) -> None:
    """Write the frames into a new estate store (bypassing the importer, which bench_import measures)."""
    with connect(db) as connection:
        for table, frame in (("systems", systems), ("interfaces", interfaces), ("costs", costs)):
            connection.register("frame", frame)
            columns = ", ".join(frame.columns)
            connection.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM frame")
            connection.unregister("frame")
