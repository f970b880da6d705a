"""A replacement roadmap under a budget and a delivery capacity: a mixed-integer programme solved by HiGHS.

Decision: x[i, s] = 1 when candidate i starts in plan year s (0 = the first financial year). A system
occupies capacity, and spends capex / duration a year, in every year of its build (whole years:
ceil of its expected duration). Objective: maximise the expected NPV of the plan, each replacement's
expected NPV discounted by the years it waits (E[NPV] x v^s). Constraints:
- each candidate starts at most once, and finishes within the horizon;
- each year's capex is within that year's budget and at most `capacity` replacements run at once;
- members of a coupled cluster (a strongly connected group) start together or not at all;
- a coupled cluster larger than the capacity is sequenced inside itself, strangler-style: its members
  in rank order form waves of at most `capacity`, each wave starting together, a wave only after the
  one before it has finished (and only if it is planned); every interface between a member and an
  earlier wave is bridged by an interim interface for at least the member's build, charged as
  interim_interface_cost a year against its NPV;
- for every interface source -> target between planned systems in different clusters, the source
  (the provider) does not start later than the target (its consumer).
Candidates with an expected NPV of zero or less are left out (replacing them loses value), as are
those whose yearly capex exceeds every year's budget; each left-out system carries its reason. The
plan's value is set beside a greedy plan that follows the ranking (each candidate in rank order at
its earliest feasible year); the better of the two is returned, so the optimised plan is never worse
than the greedy one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array


@dataclass
class Plan:
    """A roadmap: what starts when, what it spends, what is left out and how good it is."""

    schedule: pd.DataFrame  # system_id, start (plan year index), years, capex_per_year_gbp, npv_gbp, value_gbp
    left_out: pd.DataFrame  # system_id, reason
    value_gbp: float
    greedy_value_gbp: float
    gap: float  # relative MIP gap HiGHS reports (0 = proven optimal)
    status: str
    spend_by_year: np.ndarray = field(default_factory=lambda: np.zeros(0))


def plan_replacements(
    candidates: pd.DataFrame,
    dependencies: pd.DataFrame,
    budget: np.ndarray,
    capacity: int,
    discount_rate: float = 0.035,
    time_limit: float = 50.0,
    interim_interface_cost: float = 0.0,
) -> Plan:
    """Return the roadmap maximising expected NPV under yearly `budget` (GBP per plan year) and `capacity`.

    candidates: system_id, npv_gbp, capex_gbp, duration_years, cluster (any label; systems sharing one move
    together), rank (the ranking's order, for the greedy plan). dependencies: source_system_id,
    target_system_id (the target depends on the source).
    """
    years = len(budget)
    budget = np.asarray(budget, np.float64)
    frame = candidates.reset_index(drop=True).copy()
    frame["years"] = np.maximum(np.ceil(frame["duration_years"].to_numpy(np.float64) - 1e-9), 1).astype(int)
    frame["yearly_gbp"] = frame["capex_gbp"].to_numpy(np.float64) / frame["years"]
    reasons = pd.Series("", index=frame.index, dtype=object)
    reasons[frame["npv_gbp"] <= 0] = "expected NPV is not positive: replacing it loses value"
    reasons[(reasons == "") & (frame["years"] > years)] = f"takes longer than the {years}-year horizon"
    reasons[(reasons == "") & (frame["yearly_gbp"] > budget.max(initial=0.0))] = (
        "its yearly capex is above every year's budget"
    )
    # a cluster goes or stays whole: one member left out leaves its cluster out
    blocked = frame.loc[reasons != "", "cluster"].unique()
    reasons[(reasons == "") & frame["cluster"].isin(blocked)] = "a member of its coupled cluster cannot be planned"
    usable = _waves(frame[reasons == ""].reset_index(drop=True), dependencies, capacity, interim_interface_cost)
    v = 1.0 / (1.0 + discount_rate)
    greedy = _greedy(usable, dependencies, budget, capacity, v)
    if usable.empty:
        return _result(frame, usable, {}, reasons, budget, v, 0.0, 0.0, "nothing to plan")
    starts, gap, status = _solve(usable, dependencies, budget, capacity, v, time_limit)
    chosen, chosen_value = starts, _value(usable, starts, v)
    greedy_value = _value(usable, greedy, v)
    if starts is None or (chosen_value < greedy_value and _in_order(usable, dependencies, greedy)):
        chosen, chosen_value = greedy, greedy_value
        status = f"{status}; the greedy plan was better and is returned"
    return _result(frame, usable, chosen, reasons, budget, v, chosen_value, greedy_value, status, gap)


def _waves(usable: pd.DataFrame, dependencies: pd.DataFrame, capacity: int, interim_cost: float) -> pd.DataFrame:
    """Return the candidates with each coupled cluster larger than the capacity split into sequential waves.

    Columns added: coupled (the strongly connected cluster), after (the wave that must finish first, or
    None); cluster becomes the wave. A member's NPV is reduced by the interim interfaces it needs: its
    interfaces to earlier waves of its cluster x interim_cost x its build years (a lower bound: the
    bridge stands at least while the later wave is built).
    """
    usable = usable.assign(coupled=usable["cluster"], cluster=usable["cluster"].astype(object), after=None)
    position = {system: i for i, system in enumerate(usable["system_id"])}
    wave_of = np.zeros(len(usable), int)
    for label, members in usable.groupby("coupled", sort=False).indices.items():
        if len(members) <= capacity:
            continue
        ordered = members[np.argsort(usable["rank"].to_numpy()[members], kind="stable")]
        for k in range(0, len(ordered), capacity):
            wave = ordered[k : k + capacity]
            wave_of[wave] = k // capacity
            usable.loc[wave, "cluster"] = f"{label}#{k // capacity}"
            usable.loc[wave, "after"] = f"{label}#{k // capacity - 1}" if k else None
    coupled = usable["coupled"].to_numpy()
    bridges = np.zeros(len(usable))
    for source, target in _pairs(dependencies, position):
        a, b = position[source], position[target]
        if coupled[a] == coupled[b] and wave_of[a] != wave_of[b]:
            bridges[a if wave_of[a] > wave_of[b] else b] += 1  # the later member needs the bridge
    usable["npv_gbp"] = usable["npv_gbp"].to_numpy(np.float64) - bridges * interim_cost * usable["years"]
    return usable


def _value(usable: pd.DataFrame, starts: dict[int, int] | None, v: float) -> float:
    if not starts:
        return 0.0
    npv = usable["npv_gbp"].to_numpy(np.float64)
    return float(sum(npv[i] * v**s for i, s in starts.items()))


def _solve(usable: pd.DataFrame, dependencies: pd.DataFrame, budget: np.ndarray, capacity: int, v: float,
           time_limit: float) -> tuple[dict[int, int] | None, float, str]:  # fmt: skip
    n, years = len(usable), len(budget)
    durations = usable["years"].to_numpy()
    variables = [(i, s) for i in range(n) for s in range(years - durations[i] + 1)]
    index = {key: k for k, key in enumerate(variables)}
    column_i = np.array([i for i, _ in variables])
    column_s = np.array([s for _, s in variables])
    npv = usable["npv_gbp"].to_numpy(np.float64)
    cost = -(npv[column_i] * v**column_s)
    rows, cols, vals, lower, upper = [], [], [], [], []
    row = 0

    def add(entries: list[tuple[int, float]], low: float, high: float) -> None:
        nonlocal row
        for column, value in entries:
            rows.append(row)
            cols.append(column)
            vals.append(value)
        lower.append(low)
        upper.append(high)
        row += 1

    for i in range(n):  # at most one start
        add([(index[(i, s)], 1.0) for s in range(years - durations[i] + 1)], 0, 1)
    yearly = usable["yearly_gbp"].to_numpy(np.float64)
    for t in range(years):  # budget and capacity each year
        running = [(k, i) for k, (i, s) in enumerate(variables) if s <= t < s + durations[i]]
        add([(k, yearly[i]) for k, i in running], -np.inf, budget[t])
        add([(k, 1.0) for k, _ in running], -np.inf, capacity)
    clusters = usable.groupby("cluster").indices
    for members in clusters.values():  # coupled clusters start together
        first = members[0]
        for other in members[1:]:
            for s in range(years):
                a, b = index.get((first, s)), index.get((other, s))
                entries = ([(a, 1.0)] if a is not None else []) + ([(b, -1.0)] if b is not None else [])
                if entries:
                    add(entries, 0, 0)
    for label, previous in _sequence(usable):  # a wave only after the one before it has finished
        first, before = clusters[label][0], clusters[previous][0]
        length = int(durations[clusters[previous]].max())
        planned = [(index[(first, s)], 1.0) for s in range(years - durations[first] + 1)]
        add(planned + [(index[(before, s)], -1.0) for s in range(years - durations[before] + 1)], -np.inf, 0)
        # start(before) + length - start(first) <= big x (1 - planned(first))
        big = years + length
        entries = [(index[(before, s)], float(s + length)) for s in range(years - durations[before] + 1)]
        entries += [(index[(first, s)], float(big - s)) for s in range(years - durations[first] + 1)]
        add(entries, -np.inf, big)
    position = {system: i for i, system in enumerate(usable["system_id"])}
    cluster = usable["coupled"].to_numpy()
    for source, target in _pairs(dependencies, position):
        p, c = position[source], position[target]
        if cluster[p] == cluster[c]:
            continue
        # start(p) - start(c) <= years x (1 - planned(c)): a planned consumer never starts before its provider
        entries = [(index[(p, s)], float(s)) for s in range(years - durations[p] + 1)]
        entries += [(index[(c, s)], float(-s + years)) for s in range(years - durations[c] + 1)]
        add(entries, -np.inf, years)
    matrix = coo_array((vals, (rows, cols)), shape=(row, len(variables))).tocsr()
    result = milp(
        cost, constraints=LinearConstraint(matrix, lower, upper), integrality=np.ones(len(variables)),
        bounds=Bounds(0, 1), options={"time_limit": time_limit, "mip_rel_gap": 1e-4, "disp": False},
    )  # fmt: skip
    if result.x is None:
        return None, float("nan"), f"no plan found ({result.message})"
    chosen = {variables[k][0]: variables[k][1] for k in np.flatnonzero(result.x > 0.5)}
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    status = "optimal" if result.status == 0 else f"time limit reached ({result.message})"
    return chosen, gap, status


def _sequence(usable: pd.DataFrame) -> list[tuple[str, str]]:
    """Return (wave, the wave that must finish before it) for the waves of oversized coupled clusters."""
    pairs = usable.loc[usable["after"].notna(), ["cluster", "after"]].drop_duplicates()
    return list(pairs.itertuples(index=False, name=None))


def _in_order(usable: pd.DataFrame, dependencies: pd.DataFrame, starts: dict[int, int]) -> bool:
    """Return True when no planned consumer starts before a planned provider in another cluster."""
    position = {system: i for i, system in enumerate(usable["system_id"])}
    cluster = usable["coupled"].to_numpy()
    for source, target in _pairs(dependencies, position):
        p, c = position[source], position[target]
        if cluster[p] != cluster[c] and p in starts and c in starts and starts[p] > starts[c]:
            return False
    return True


def _pairs(dependencies: pd.DataFrame, position: dict[str, int]) -> list[tuple[str, str]]:
    if dependencies.empty:
        return []
    both = dependencies["source_system_id"].isin(position) & dependencies["target_system_id"].isin(position)
    pairs = dependencies.loc[both, ["source_system_id", "target_system_id"]].drop_duplicates()
    return [(s, t) for s, t in pairs.itertuples(index=False) if s != t]


def _greedy(usable: pd.DataFrame, dependencies: pd.DataFrame, budget: np.ndarray, capacity: int,
            v: float) -> dict[int, int]:  # fmt: skip
    """Return a plan that follows the ranking: each cluster, in rank order, at its earliest feasible year.

    A cluster's providers outside it are placed first (in their own rank order), so no consumer starts
    before a planned provider.
    """
    years = len(budget)
    spent = np.zeros(years)
    running = np.zeros(years)
    position = {system: i for i, system in enumerate(usable["system_id"])}
    cluster_of = usable["cluster"].to_numpy()
    coupled = usable["coupled"].to_numpy()
    clusters = usable.groupby("cluster").indices
    rank = usable.groupby("cluster")["rank"].min()
    providers: dict[object, set] = {}
    for source, target in _pairs(dependencies, position):
        a, b = position[source], position[target]
        if coupled[a] != coupled[b]:
            providers.setdefault(cluster_of[b], set()).add(cluster_of[a])
    previous = dict(_sequence(usable))
    durations = usable["years"].to_numpy()
    yearly = usable["yearly_gbp"].to_numpy(np.float64)
    starts: dict[int, int] = {}
    visited: set = set()

    def place(label) -> None:
        if label in visited:
            return
        visited.add(label)
        for provider in sorted(providers.get(label, ()), key=lambda c: rank[c]):
            place(provider)
        members = list(clusters[label])
        earliest = max((starts[m] for p in providers.get(label, ()) for m in clusters[p] if m in starts), default=0)
        if label in previous:  # a wave after the one before it has finished, and only if that one is planned
            place(previous[label])
            before = clusters[previous[label]]
            if before[0] not in starts:
                return
            earliest = max(earliest, starts[before[0]] + int(durations[before].max()))
        for s in range(earliest, years):
            if any(s + durations[m] > years for m in members):
                return
            need = np.zeros(years)
            count = np.zeros(years)
            for m in members:
                need[s : s + durations[m]] += yearly[m]
                count[s : s + durations[m]] += 1
            if (spent + need <= budget + 1e-6).all() and (running + count <= capacity).all():
                spent[:] += need
                running[:] += count
                for m in members:
                    starts[m] = s
                return

    for label in rank.sort_values(kind="stable").index:
        place(label)
    return starts


def _result(frame, usable, starts, reasons, budget, v, value, greedy_value, status, gap=0.0) -> Plan:
    years = len(budget)
    rows = []
    spend = np.zeros(years)
    for i, s in sorted((starts or {}).items(), key=lambda item: (item[1], usable["system_id"].iloc[item[0]])):
        record = usable.iloc[i]
        spend[s : s + int(record["years"])] += record["yearly_gbp"]
        rows.append({"system_id": record["system_id"], "start": s, "years": int(record["years"]),
                     "capex_per_year_gbp": float(record["yearly_gbp"]), "npv_gbp": float(record["npv_gbp"]),
                     "value_gbp": float(record["npv_gbp"] * v**s)})  # fmt: skip
    planned = {r["system_id"] for r in rows}
    left = frame.loc[~frame["system_id"].isin(planned), ["system_id"]].copy()
    left["reason"] = (
        reasons.reindex(left.index)
        .replace("", np.nan)
        .fillna("not enough budget or capacity left within the horizon (higher-value replacements came first)")
    )
    schedule = pd.DataFrame(rows, columns=["system_id", "start", "years", "capex_per_year_gbp", "npv_gbp",
                                           "value_gbp"])  # fmt: skip
    return Plan(schedule, left.reset_index(drop=True), value, greedy_value, gap, status, spend)
