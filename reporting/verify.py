"""`estate verify`: rebuild a report from its own inputs and recorded settings, and compare every hash."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

from estate.files import sha256_of
from estate.issues import ImportRejected
from estate.mapping import MappingProfile, ProfileError
from estate.store import import_files
from pipeline.run import analyse
from pipeline.settings import AnalysisSettings
from reporting.report import build_report


class NotAReport(ValueError):
    """The folder has no readable manifest.json."""


def verify_report(folder: Path) -> list[str]:
    """Return the problems found (empty when every file is as recorded and a rerun gives the same bytes)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        recorded: dict[str, str] = manifest["files"]
        settings = manifest["settings"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotAReport(
            f"{folder}: no readable manifest.json ({exc.__class__.__name__}); is this a report folder?"
        ) from None
    problems = []
    for relative, digest in sorted(recorded.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif sha256_of(path) != digest:
            problems.append(f"{relative}: differs from manifest.json")
    if settings.get("source"):  # inputs read from Parquet or a catalog (analyse --source): not in the report
        return [*problems, f"inputs: the analysis read the source {settings['source']}, which a report does not "
                           "carry; rerun `estate analyse --source` on it and compare the data/ tables"]  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        db = scratch / "verify.duckdb"
        paths = [folder / "inputs" / name for name in settings["import_order"]]
        try:
            for path in paths:  # each file as its own import, in order, with the profile it was read with
                import_files(db, [path], _recorded_profile(folder, settings, path.name))
            analyse(db, recorded_analysis_settings(folder, settings))
        except ProfileError as exc:
            return [*problems, f"inputs: a recorded mapping profile no longer loads ({exc})"]
        except ImportRejected as rejected:
            first = next((i.as_text() for i in rejected.issues), "")
            return [*problems, f"inputs: the recorded inputs no longer import ({first})"]
        rebuilt = build_report(db, scratch / "report", pdf="report.pdf" in recorded)
    for relative, digest in sorted(recorded.items()):
        if rebuilt["files"].get(relative) != digest:
            problems.append(f"{relative}: a rerun from inputs/ gives different bytes")
    for relative in sorted(set(rebuilt["files"]) - set(recorded)):
        problems.append(f"{relative}: produced by a rerun but not in manifest.json")
    return problems


def _recorded_profile(folder: Path, settings: dict, file_name: str) -> MappingProfile | None:
    """Return the mapping profile a report's input was read with (reports before 0.3 record one for all)."""
    by_file = settings.get("profiles")
    name = by_file.get(file_name, "") if by_file is not None else "mapping.toml" * bool(settings["mapping_profile"])
    return MappingProfile.load(folder / "inputs" / name) if name else None


def recorded_analysis_settings(folder: Path, settings: dict) -> AnalysisSettings:
    """Return the analysis settings a report's manifest records (its parameter file from inputs/)."""
    text = (folder / "inputs" / "parameters.toml").read_text(encoding="utf-8") if settings["parameter_file"] else ""
    return AnalysisSettings(
        as_of=date.fromisoformat(settings["as_of"]),
        seed=int(settings["seed"]),
        draws=int(settings["draws"]),
        betweenness_samples=int(settings["betweenness_samples"]),
        parameter_text=text,
        parameter_origin="inputs/parameters.toml",
    )
