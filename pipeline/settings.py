"""What an analysis was run with, recorded once: as-of date, seed, draws, betweenness samples, parameters."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from importlib.resources import files
from pathlib import Path

import pandas as pd

from costing.parameters import ParameterError, Parameters, parse_parameters

DEFAULT_DRAWS = 1000
DEFAULT_BETWEENNESS_SAMPLES = 64
# Upper bounds, so that a typed or recorded value cannot ask for unbounded memory: the stored decision
# draws grow with draws x systems, and 50,000 draws already put the Monte Carlo error of a total under
# 0.5% of the 1,000-draw default's; a sampled betweenness past 10,000 pivots is no longer a sample.
MAX_DRAWS = 50_000
MAX_BETWEENNESS_SAMPLES = 10_000


def default_parameter_text() -> str:
    """Return the text of the parameter file shipped with estate (costing/parameters.toml)."""
    return files("costing").joinpath("parameters.toml").read_text(encoding="utf-8")


def load_parameters(path: Path | None = None) -> Parameters:
    """Return the default parameters, overridden by a user file if given; raise ParameterError naming any bad key."""
    if path is None:
        return parse_parameters(default_parameter_text())
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ParameterError(f"{path}: not valid TOML: not UTF-8 text") from None
    return parse_parameters(default_parameter_text(), text, str(path))


@dataclass(frozen=True)
class AnalysisSettings:
    """The settings of one analysis; `analyse`, the report's manifest, `verify` and the app all use these."""

    as_of: date
    seed: int = 0
    draws: int = DEFAULT_DRAWS
    betweenness_samples: int = DEFAULT_BETWEENNESS_SAMPLES
    parameter_text: str = ""  # the user's parameter file as written; "" = the defaults
    parameter_origin: str = field(default="parameters file", compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.draws <= MAX_DRAWS:
            raise ValueError(f"draws must be from 1 to {MAX_DRAWS:,}, not {self.draws:,}")
        if not 1 <= self.betweenness_samples <= MAX_BETWEENNESS_SAMPLES:
            raise ValueError(
                f"betweenness samples must be from 1 to {MAX_BETWEENNESS_SAMPLES:,}, not {self.betweenness_samples:,}"
            )

    @classmethod
    def with_parameter_file(cls, path: Path | None, **values: object) -> AnalysisSettings:
        """Return settings whose parameters come from this file (None: the defaults); ParameterError if bad."""
        parameters = load_parameters(path)  # checks the file now, naming any bad key
        return cls(**values, parameter_text=parameters.user_text, parameter_origin=str(path or ""))

    def parameters(self) -> Parameters:
        """Return the parameters: the defaults overridden by the recorded parameter text."""
        return parse_parameters(default_parameter_text(), self.parameter_text, self.parameter_origin)

    def record(self) -> dict[str, object]:
        """Return the columns these settings are stored as (in the cost_model_runs table)."""
        return {
            "as_of": self.as_of, "seed": self.seed, "draws": self.draws,
            "betweenness_samples": self.betweenness_samples, "parameter_file_text": self.parameter_text,
        }  # fmt: skip

    @classmethod
    def from_record(cls, run: dict) -> AnalysisSettings:
        """Return the settings stored in a cost_model_runs row."""
        return cls(
            as_of=pd.Timestamp(run["as_of"]).date(),
            seed=int(run["seed"]),
            draws=int(run["draws"]),
            betweenness_samples=int(run.get("betweenness_samples") or DEFAULT_BETWEENNESS_SAMPLES),
            parameter_text=run.get("parameter_file_text") or "",
            parameter_origin="recorded parameter file",
        )

    def but(self, **changes: object) -> AnalysisSettings:
        """Return a copy with some settings changed."""
        return replace(self, **changes)
