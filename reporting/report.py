"""The reproducible report: report.html (+ PDF), data/ tables, inputs/ copies and manifest.json.

Every output is a function of the stored inputs, the recorded settings and the software
versions: no wall-clock time appears anywhere, so a rerun gives the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jinja2
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from markupsafe import Markup, escape

from costing.hidden import COMPONENTS, LEGACY_PREMIUM, components_in_words
from costing.sensitivity import tornado
from estate import __version__
from estate.files import atomic_folder, atomic_path, sha256_of
from estate.store import merged_systems_sql
from pipeline.results import RESULT_TABLES, SOURCE_PREFIX, ResultSource, as_source, recorded_parameters
from reporting import charts
from reporting.text import METHOD_NAMES, csv_text, field_header, plain_number
from reporting.views import code_label, headline, ranking_determination

DATA_TABLES = tuple(t.name for t in RESULT_TABLES if t.published)  # with import_issues, the report's data/
PACKAGES = (
    "estate",
    "duckdb",
    "fastexcel",
    "pyarrow",
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "rustworkx",
    "networkx",
    "xlsxwriter",
    "jinja2",
    "weasyprint",
)


def package_versions() -> dict[str, str]:
    """Return the versions of the packages that shape the outputs."""
    result = {}
    for name in PACKAGES:
        try:
            result[name] = version(name)
        except PackageNotFoundError:
            result[name] = "not installed"
    return result


# Where each stored field's values came from: per field, file and sheet, how many systems took their value there.
FIELD_SOURCES_SQL = """
SELECT j.key AS field,
       regexp_extract(j.value ->> '$', '^(.*)!([^!]*)![0-9]+$', 1) AS source_file,
       regexp_extract(j.value ->> '$', '^(.*)!([^!]*)![0-9]+$', 2) AS source_sheet,
       count(*) AS systems
FROM ({merged}) m, json_each(m.field_sources) j
WHERE j.value ->> '$' IS NOT NULL
GROUP BY ALL ORDER BY ALL
"""


def build_report(where: ResultSource | Path, out: Path, pdf: bool = True) -> dict:
    """Write the report folder from the stored analysis (a ResultSource, or a store's path); return the manifest."""
    source = as_source(where)
    stored = source.read()
    frames = {name: stored[name] for name in DATA_TABLES}
    with source.inputs() as connection:
        frames["import_issues"] = connection.sql(
            'SELECT * FROM import_issues ORDER BY import_id, file, sheet, row, "column", code'
        ).df()
        frames["field_sources"] = connection.sql(FIELD_SOURCES_SQL.format(merged=merged_systems_sql())).df()
        imports = connection.sql(
            "SELECT i.import_id, i.file_name, i.sha256, i.mapping, i.rows_systems, i.rows_interfaces, i.rows_costs, "
            "i.warnings, f.content FROM imports i JOIN import_files f USING (import_id) "
            "WHERE i.status = 'current' ORDER BY i.import_id"
        ).df()
    with atomic_folder(out) as work:  # a failure (a full disk, say) leaves `out` as it was
        return _write_report(work, frames, stored.run, imports, stored["model_inputs"], pdf)


def _write_report(out: Path, frames: dict, run: dict, imports: pd.DataFrame, inputs: pd.DataFrame, pdf: bool) -> dict:
    (out / "data").mkdir()
    (out / "inputs").mkdir()
    files: list[Path] = []
    settings = _settings(run, imports)
    for record in imports.to_dict("records"):
        target = out / "inputs" / Path(record["file_name"]).name
        _write_bytes(target, bytes(record["content"]))
        files.append(target)
    for text, name in _profile_files(imports).items():  # each import's profile, as written
        files.append(_write_bytes(out / "inputs" / name, text.encode()))
    if settings["parameter_file"]:
        files.append(_write_bytes(out / "inputs" / "parameters.toml", settings["parameter_file"].encode()))
    for name, frame in frames.items():
        files += _write_table(out / "data", name, frame)
    html = _render(frames, run, imports, inputs, settings)
    files.append(_write_bytes(out / "report.html", html.encode("utf-8")))
    if pdf:
        files.append(_write_pdf(out / "report.pdf", html, settings["as_of"]))
    manifest = {
        "headline": headline(frames["system_assessment"], inputs, run),  # the same object as `analyse --json`'s
        "estate_version": __version__,
        "packages": package_versions(),
        "settings": settings
        | {"mapping_profile": bool(settings["mapping_profile"]), "parameter_file": bool(settings["parameter_file"])},
        "parameters": {
            p["name"]: {"value": p["value"], "low": p["low"], "high": p["high"], "unit": p["unit"]}
            for p in frames["parameters_used"].to_dict("records")
        },
        "inputs": [
            {"file": f"inputs/{Path(r['file_name']).name}", "sha256": r["sha256"]} for r in imports.to_dict("records")
        ],
        "files": {p.relative_to(out).as_posix(): sha256_of(p) for p in sorted(files)},
    }
    _write_bytes(out / "manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    return manifest


def _settings(run: dict, imports: pd.DataFrame) -> dict:
    named = _profile_files(imports)
    profiles = [json.loads(m).get("profile") for m in imports["mapping"]]
    recorded = str(run.get("import_ids") or "")
    source = {"source": recorded.removeprefix(SOURCE_PREFIX)} if recorded.startswith(SOURCE_PREFIX) else {}
    return source | {
        "as_of": pd.Timestamp(run["as_of"]).date().isoformat(),
        "seed": int(run["seed"]),
        "draws": int(run["draws"]),
        "betweenness_samples": int(run["betweenness_samples"]),
        "mapping_profile": next(iter(named), ""),
        "profiles": {Path(f).name: named.get(p, "") for f, p in zip(imports["file_name"], profiles, strict=True)},
        "parameter_file": run.get("parameter_file_text") or "",
        "import_order": [Path(f).name for f in imports["file_name"]],
    }


def _profile_files(imports: pd.DataFrame) -> dict[str, str]:
    """Return each distinct mapping profile the imports used -> its file in inputs/ (mapping.toml, mapping-2.toml)."""
    texts = [t for t in (json.loads(m).get("profile") for m in imports["mapping"]) if t]
    distinct = list(dict.fromkeys(texts))
    return {t: "mapping.toml" if i == 0 else f"mapping-{i + 1}.toml" for i, t in enumerate(distinct)}


_URL = re.compile(r"https?://[^\s<>\"')]+[^\s<>\"').,;:]")


def links(text: object) -> Markup:
    """Return text escaped, with each web address in it a link (sources in the report)."""
    escaped = str(escape("" if text is None else text))
    link = '<a href="{0}" rel="noopener noreferrer">{0}</a>'
    return Markup(_URL.sub(lambda m: link.format(m.group(0)), escaped))


def _write_bytes(path: Path, content: bytes) -> Path:
    with atomic_path(path) as temporary:
        temporary.write_bytes(content)
    return path


def _write_table(folder: Path, name: str, frame: pd.DataFrame) -> list[Path]:
    """Write a table as csv (formula-like text made inert) and Parquet; return both paths."""
    csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
    with atomic_path(csv_path) as temporary:
        temporary.write_text(csv_text(frame), encoding="utf-8", newline="")
    with atomic_path(parquet_path) as temporary:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), temporary, compression="zstd")
    return [csv_path, parquet_path]


def _live_sources(imports: pd.DataFrame, as_of: str) -> list[dict]:
    """Return each synced source's record (the sync sheet its workbook carries), with its age at the as-of date."""
    from estate.sync.core import STALE_AFTER_HOURS, synced_workbook

    sources = []
    for record in imports.to_dict("records"):
        about = synced_workbook(bytes(record["content"]))
        if about is None:
            continue
        synced = datetime.fromisoformat(about["Synced at (UTC)"])
        age_days = (datetime.fromisoformat(as_of) - synced.replace(hour=0, minute=0, second=0)).days
        sources.append({
            "file": record["file_name"], "source": about["Source"], "url": about["URL"],
            "synced": about["Synced at (UTC)"], "changes": f"{int(about['Added']):,} added, "
            f"{int(about['Updated']):,} updated, {int(about['Removed']):,} removed",
            "records": f"{int(about['Records']):,}", "stale": age_days * 24 > STALE_AFTER_HOURS,
            "freshness": "synced on the as-of date" if age_days == 0 else (
                f"synced {age_days:,} day(s) before the as-of date" if age_days > 0 else "synced after the as-of date"
            ),
        })  # fmt: skip
    return sources


def _render(frames: dict, run: dict, imports: pd.DataFrame, inputs: pd.DataFrame, settings: dict) -> str:
    assessment = frames["system_assessment"]
    departments = frames["department_costs"].sort_values("hidden_cost_gbp", ascending=False)
    parameters = frames["parameters_used"]
    # the values recorded with the run, not today's defaults
    used = recorded_parameters(parameters)
    sensitivity = tornado(inputs, used, centre=float(run["estate_hidden_cost_gbp"]))  # centred on the headline
    waves = (
        assessment.groupby("wave")
        .agg(systems=("system_id", "size"), hidden=("hidden_cost_gbp", "sum"), delay=("cost_of_delay_gbp", "sum"))
        .reset_index()
    )
    quality = frames["graph_findings"]["kind"].value_counts().sort_index()
    issues = frames["import_issues"]["code"].value_counts().sort_index()
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("reporting", "templates"), autoescape=True, keep_trailing_newline=True
    )
    environment.filters["links"] = links
    money = charts.money
    figures = headline(assessment, inputs, run)
    context = {
        "as_of": settings["as_of"], "version": __version__, "draws": settings["draws"], "seed": settings["seed"],
        "synthetic": any(_is_synthetic(bytes(content)) for content in imports["content"]),
        "systems": f"{figures['systems']:,}", "reported": money(figures["reported_cost_gbp"]),
        "imputed": money(figures["imputed_cost_gbp"]), "premium": money(figures["legacy_premium_gbp"]),
        "premium_unobserved": money(figures["legacy_premium_unobserved_gbp"]),
        "hidden_p10": money(figures["hidden_cost_p10_gbp"]), "hidden": money(figures["hidden_cost_gbp"]),
        "hidden_p90": money(figures["hidden_cost_p90_gbp"]), "assumed_share": _percent(figures["assumed_share"]),
        "breaches": f"{figures['implied_breaches_per_year']:.1f}",
        "coverage": [{"input": r["input"], "systems": _percent(r["share_of_systems"]),
                      "cost": _percent(r["share_of_reported_cost"])}
                     for r in frames["input_coverage"].to_dict("records")],
        "calibration": [{"anchor": r["anchor"], "source": r["source"],
                         "published": _figure(r["published"], r["unit"]), "estate": _figure(r["estate"], r["unit"])}
                        for r in frames["calibration"].to_dict("records")], "past_support": figures["past_support"],
        "red": figures["red"], "imputed_systems": figures["imputed"], "waves": figures["waves"],
        "inputs": imports.drop(columns=["content", "mapping"]).to_dict("records"),
        "live_sources": _live_sources(imports, settings["as_of"]),
        "imputation_method": run["imputation_method"],
        "imputation_mape": _percent(run["imputation_cv_mape"]),
        "imputation_coverage": _percent(run["imputation_interval_coverage"]),
        "components": [{"name": c.column, "label": c.label, "kind": c.kind, "formula": c.formula} for c in COMPONENTS],
        "components_in_words": components_in_words(),
        "premium_in_words": components_in_words(LEGACY_PREMIUM),
        "horizon": int(parameters.set_index("name").loc["appraisal_years", "value"]),
        "candidates": f"{int(assessment['candidate'].sum()):,}",
        "agreement": [{"pair": f"{METHOD_NAMES[a['method_a']]} and {METHOD_NAMES[a['method_b']]}",
                       "tau": f"{a['kendall_tau']:.2f}",
                       "overlap": _percent(a["top_n_overlap"])} for a in frames["method_agreement"].to_dict("records")],
        "disagreements": [{**d, "method": METHOD_NAMES.get(d["method"], d["method"])}
                          for d in frames["method_disagreements"].to_dict("records")],
        "information": [{"name": g["parameter_group"], "value": money(g["evppi_gbp"])}
                        for g in frames["information_parameters"].to_dict("records")],
        "fields": [{"system_id": f["system_id"], "field": field_header(f["field"]), "value": money(f["value_gbp"]),
                    "swing": money(f["npv_swing_gbp"])}
                   for f in frames["information_fields"].head(20).to_dict("records")],
        "top_n": int(parameters.set_index("name").loc["stability_top_n", "value"]),
        "ranking": ranking_determination(assessment, parameters, frames["information_fields"], run),
        "parameters": [{"name": p["name"], "value": plain_number(p["value"]),
                        "range": f"{plain_number(p['low'])}-{plain_number(p['high'])}",
                        "unit": p["unit"], "confidence": p["confidence"], "source": p["source"]}
                       for p in parameters.to_dict("records")],
        "top": [{"rank": int(r["rank"]), "system_id": r["system_id"], "name": r["name"] or "",
                 "department": r["department"] or "",
                 "hidden": f"{money(r['hidden_cost_gbp'])} ({money(r['hidden_cost_p10_gbp'])}-"
                           f"{money(r['hidden_cost_p90_gbp'])})",
                 "npv": f"{money(r['npv_gbp'])} ({money(r['npv_p10_gbp'])} to {money(r['npv_p90_gbp'])})",
                 "probability": _percent(r["probability_npv_positive"]), "per_pound": f"{r['npv_per_capex']:.2f}",
                 "risk": f"{r['risk_score']:.0f} ({code_label(r['risk_rag'])})",
                 "action": code_label(r["suggested_action"]), "stability": _percent(r["top_n_stability"])}
                for r in assessment[assessment["candidate"]].head(20).to_dict("records")],
        "departments": [{"department": d["department"], "p10": money(d["hidden_cost_p10_gbp"]),
                         "expected": money(d["hidden_cost_gbp"]), "p90": money(d["hidden_cost_p90_gbp"])}
                        for d in departments.to_dict("records")],
        "department_chart": charts.interval_bars(
            departments["department"].astype(str).tolist(), departments["hidden_cost_p10_gbp"].tolist(),
            departments["hidden_cost_gbp"].tolist(), departments["hidden_cost_p90_gbp"].tolist(),
            "Hidden cost a year by department"),
        "waves_table": [{"wave": int(w["wave"]), "systems": int(w["systems"]), "hidden": money(w["hidden"]),
                         "delay": money(w["delay"])} for w in waves.to_dict("records")],
        "central": money(sensitivity["central_gbp"].iloc[0]) if len(sensitivity) else money(0),
        "tornado_chart": charts.tornado(
            sensitivity["parameter"].str.replace("_", " ").tolist(), sensitivity["estate_at_low_gbp"].tolist(),
            sensitivity["estate_at_high_gbp"].tolist(),
            float(sensitivity["central_gbp"].iloc[0]) if len(sensitivity) else 0.0,
            "Estate hidden cost with one parameter at its low (orange) or high (blue) value"),
        "field_sources": frames["field_sources"].to_dict("records"),
        "quality": [{"kind": k.replace("_", " "), "count": int(v)} for k, v in quality.items()]
        + [{"kind": f"import {k.replace('_', ' ')}", "count": int(v)} for k, v in issues.items()],
        "rerun_command": f"estate analyse --as-of {settings['as_of']} --seed {settings['seed']} "
                         f"--draws {settings['draws']} --betweenness-samples {settings['betweenness_samples']}"
                         + (" --params inputs/parameters.toml" if settings["parameter_file"] else ""),
        "packages": sorted(package_versions().items()),
    }  # fmt: skip
    return environment.get_template("report.html.j2").render(**context)


def _is_synthetic(content: bytes) -> bool:
    """Return True for workbooks `estate sample` wrote (their document title says SYNTHETIC)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return b"SYNTHETIC" in archive.read("docProps/core.xml")
    except (zipfile.BadZipFile, KeyError):
        return False


def _percent(value: float) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.0%}"


@contextmanager
def _source_date(as_of: str):
    """Fix the timestamps that font subsetting and PDF metadata would otherwise take from the clock."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    if before is None:
        moment = datetime.fromisoformat(as_of).replace(tzinfo=UTC)
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def _write_pdf(path: Path, html: str, as_of: str) -> Path:
    import weasyprint

    with _source_date(as_of), atomic_path(path) as temporary:
        # PDF/UA-1: a tagged PDF that screen readers can follow (the public-sector accessibility regulations)
        weasyprint.HTML(string=html).write_pdf(temporary, pdf_variant="pdf/ua-1")
    return path


def _figure(value: float, unit: str) -> str:
    """Return a calibration figure as text: a share as a percentage, a multiple with x, else one decimal."""
    if value != value:  # NaN: no published figure
        return "-"
    if unit == "share":
        return f"{value:.0%}"
    if unit == "multiple":
        return f"{value:.1f}x"
    return f"{value:,.1f}"
