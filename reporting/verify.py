"""`estate verify`: rebuild a report from its own inputs and recorded settings, and compare every hash."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path

from costing.parameters import ParameterError
from estate.files import sha256_of
from estate.issues import ImportRejected
from estate.mapping import MappingProfile, ProfileError
from estate.store import import_files
from pipeline.run import analyse
from pipeline.settings import AnalysisSettings
from reporting.report import build_report


class NotAReport(ValueError):
    """The folder has no readable manifest.json, or one that is not a report's."""


MANIFEST = "manifest.json"


def verify_report(folder: Path) -> list[str]:
    """Return the problems found (empty when every file is as recorded and a rerun gives the same bytes).

    Nothing outside `folder` is ever opened: every name the manifest gives must be a plain relative path
    inside the folder (no `..`, no absolute path), no symbolic link is followed, and an input is read
    only when the manifest lists it and its bytes match. Every file in the folder must be in the manifest,
    and the manifest itself (headline, settings, parameters, file list) must be what a rerun writes.
    """
    manifest, recorded, settings = _read_manifest(folder)
    problems = []
    present = _files_in(folder, problems)
    for relative in sorted(present - set(recorded) - {MANIFEST}):
        problems.append(f"{relative}: in the folder but not in manifest.json (added, or left from another report)")
    for relative, digest in sorted(recorded.items()):
        if relative not in present:
            problems.append(f"{relative}: missing")
        elif sha256_of(folder / relative) != digest:
            problems.append(f"{relative}: differs from manifest.json")
    if settings.get("source"):  # inputs read from Parquet or a catalog (analyse --source): not in the report
        return [*problems, f"inputs: the analysis read the source {settings['source']}, which a report does not "
                           "carry; rerun `estate analyse --source` on it and compare the data/ tables"]  # fmt: skip
    # a rerun reads only files the manifest lists and the folder holds as regular files (changed ones too:
    # the rerun then shows what the change does)
    unusable = sorted(n for n in _inputs_needed(settings) if n not in present or n not in recorded)
    if unusable:
        return [*problems, f"inputs: {', '.join(unusable)} missing or not in manifest.json, so no rerun"]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        db = scratch / "verify.duckdb"
        paths = [folder / "inputs" / name for name in settings["import_order"]]
        try:
            analysis = recorded_analysis_settings(folder, settings)
            for path in paths:  # each file as its own import, in order, with the profile it was read with
                import_files(db, [path], _recorded_profile(folder, settings, path.name))
            analyse(db, analysis)
        except ProfileError as exc:
            return [*problems, f"inputs: a recorded mapping profile no longer loads ({exc})"]
        except ImportRejected as rejected:
            first = next((i.as_text() for i in rejected.issues), "")
            return [*problems, f"inputs: the recorded inputs no longer import ({first})"]
        except ParameterError as exc:
            return [*problems, f"inputs: the recorded parameters no longer load ({exc})"]
        rebuilt = build_report(db, scratch / "report", pdf="report.pdf" in recorded)
    for relative, digest in sorted(recorded.items()):
        if rebuilt["files"].get(relative) != digest:
            problems.append(f"{relative}: a rerun from inputs/ gives different bytes")
    for relative in sorted(set(rebuilt["files"]) - set(recorded)):
        problems.append(f"{relative}: produced by a rerun but not in manifest.json")
    for key in sorted(set(rebuilt) | set(manifest)):
        if key != "files" and rebuilt.get(key) != manifest.get(key):
            problems.append(f"manifest.json: its {key} is not what a rerun records (edited?)")
    return problems


def _read_manifest(folder: Path) -> tuple[dict, dict[str, str], dict]:
    path = folder / MANIFEST
    try:
        if path.is_symlink():
            raise ValueError("a symbolic link")
        manifest = json.loads(path.read_text(encoding="utf-8"))
        recorded, settings = manifest["files"], manifest["settings"]
        if not isinstance(recorded, dict) or not isinstance(settings, dict):
            raise TypeError("files and settings must be objects")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotAReport(
            f"{folder}: no readable manifest.json ({exc.__class__.__name__}: {str(exc)[:80]}); is this a report folder?"
        ) from None
    for relative, digest in recorded.items():
        if not _plain_path(relative) or not (isinstance(digest, str) and len(digest) == 64):
            raise NotAReport(
                f"{folder}: manifest.json lists {str(relative)[:80]!r}, which is not a file inside the report "
                "(absolute, '..', or not a SHA-256): refused without opening anything"
            )
    _check_settings(folder, settings)
    return manifest, recorded, settings


def _plain_path(relative: object) -> bool:
    """Return whether a manifest name is a plain relative POSIX path inside the folder."""
    if not isinstance(relative, str) or not relative or "\\" in relative or "\0" in relative:
        return False
    return all(part not in ("..", ".", "") for part in relative.split("/"))  # no /x, a//b, ./a or ../a


def _plain_name(name: object) -> bool:
    return isinstance(name, str) and _plain_path(name) and "/" not in name


def _check_settings(folder: Path, settings: dict) -> None:
    """Raise NotAReport unless the recorded settings have the types and bounds an analysis accepts."""
    try:
        if not settings.get("source"):
            order = settings["import_order"]
            profiles = settings.get("profiles") or {}
            if not isinstance(order, list) or not all(_plain_name(n) for n in order):
                raise ValueError("import_order must list plain file names")
            if not isinstance(profiles, dict) or not all(_plain_name(n) for n in [*profiles, *profiles.values()] if n):
                raise ValueError("profiles must map plain file names to plain file names")
        for key in ("seed", "draws", "betweenness_samples"):
            if not isinstance(settings[key], int) or isinstance(settings[key], bool):
                raise ValueError(f"{key} must be a whole number")
        AnalysisSettings(
            date.fromisoformat(settings["as_of"]), settings["seed"], settings["draws"], settings["betweenness_samples"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise NotAReport(f"{folder}: manifest.json records settings no analysis accepts ({str(exc)[:120]})") from None


def _inputs_needed(settings: dict) -> set[str]:
    by_file = settings.get("profiles")
    names = {f"inputs/{n}" for n in settings["import_order"]}
    if by_file is not None:
        names |= {f"inputs/{p}" for p in by_file.values() if p}
    elif settings.get("mapping_profile"):
        names.add("inputs/mapping.toml")
    if settings.get("parameter_file"):
        names.add("inputs/parameters.toml")
    return names


def _files_in(folder: Path, problems: list[str]) -> set[str]:
    """Return every regular file under `folder` (relative POSIX paths); a symbolic link is a problem, not followed."""
    found = set()
    for root, directories, names in os.walk(folder, followlinks=False):
        here = Path(root)
        for name in [*directories, *names]:
            path = here / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                problems.append(f"{relative}: a symbolic link, which a report never holds (not followed)")
            elif path.is_file():
                found.add(relative)
        directories[:] = [d for d in directories if not (here / d).is_symlink()]
    return found


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
