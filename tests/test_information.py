"""Value of information: the regression EVPPI against brute force on a tiny model; gaps ranks missing facts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from costing.information import basis, evppi, two_point_value
from tests.conftest import run_estate


def brute_force_evppi(a: float, c: float, rng: np.random.Generator) -> float:
    """NPV = a theta1 + b theta2 + c, theta ~ N(0, 1): EVPPI of theta1 by brute force (theta2 integrates out)."""
    outer = rng.standard_normal(200_000)  # E[NPV | theta1] = a theta1 + c exactly, so no inner loop is needed
    return float(np.mean(np.maximum(a * outer + c, 0)) - max(c, 0))


@pytest.mark.parametrize(("a", "b", "c"), [(1.0, 0.5, 0.2), (2.0, 1.0, -1.0), (0.1, 3.0, 0.0)])
def test_the_regression_estimate_matches_brute_force(a, b, c):
    rng = np.random.default_rng(1)
    draws = 20_000
    theta = rng.standard_normal((draws, 2))
    npv = (a * theta[:, 0] + b * theta[:, 1] + c)[None, :]
    estimate = evppi(npv, basis(theta[:, [0]]))
    truth = brute_force_evppi(a, c, np.random.default_rng(2))
    # the estimator's own noise: the current decision's mean is itself estimated from the draws
    assert estimate == pytest.approx(truth, abs=3 * abs(b) / np.sqrt(draws) + 0.02 * abs(a))


def test_evppi_is_zero_for_a_parameter_that_does_not_move_the_decision():
    rng = np.random.default_rng(3)
    theta = rng.standard_normal((5000, 2))
    npv = (5.0 + 0.0 * theta[:, 0] + theta[:, 1])[None, :]  # always positive: nothing to learn from theta1
    assert evppi(npv, basis(theta[:, [0]])) == pytest.approx(0.0, abs=1e-3)


def test_two_point_value_of_a_fact():
    assert two_point_value(np.array([-10.0]), np.array([30.0]))[0] == pytest.approx(5.0)  # flips the decision
    assert two_point_value(np.array([10.0]), np.array([30.0]))[0] == 0  # same decision either way


def test_gaps_ranks_parameters_and_fields(tmp_path):
    db = tmp_path / "e.duckdb"
    sample = Path(__file__).parents[1] / "sample_inventory.xlsx"
    assert run_estate("import", str(sample), "--db", str(db)).returncode == 0
    assert run_estate("analyse", "--db", str(db), "--as-of", "2026-11-25", "--draws", "200").returncode == 0
    result = run_estate("gaps", "--db", str(db), "--format", "json", "--top", "50")
    assert result.returncode == 0, result.stderr
    gaps = json.loads(result.stdout)
    values = [p["evppi_gbp"] for p in gaps["parameters"]]
    assert values == sorted(values, reverse=True) and all(v >= 0 for v in values)
    # only groups above their noise floor (their draws permuted) are reported; the replacement's cost and time
    # decide the candidates' cases far above it
    assert gaps["parameters"] and all(p["evppi_gbp"] > p["noise_floor_gbp"] for p in gaps["parameters"])
    assert "Replacement cost and time" in {p["name"] for p in gaps["parameters"]}
    fields = [f["value_gbp"] for f in gaps["fields"]]
    assert fields == sorted(fields, reverse=True) and gaps["fields"]
    assert all({"system_id", "field", "value_gbp"} <= set(f) for f in gaps["fields"])


def test_the_noise_floor_is_what_a_parameter_scores_once_unpaired_from_the_npv():
    rng = np.random.default_rng(4)
    theta = rng.standard_normal((2000, 2))
    npv = (theta[:, 0] + 0.2 * theta[:, 1])[None, :]  # theta1 decides; theta2 barely moves anything
    informative, weak = basis(theta[:, [0]]), basis(theta[:, [1]])
    floors = [evppi(npv, q[rng.permutation(2000)]) for q in (informative, weak) for _ in range(5)]
    assert evppi(npv, informative) > 10 * max(floors)  # the real signal stands far above the noise
    assert max(floors) < 0.05 and evppi(npv, informative) == pytest.approx(0.4, abs=0.05)
