"""What `estate analyse` prints: one summary of the stored results, as JSON (`--json`) or as lines for people.

Built from the Results that rank, report and export read (wherever they were written), so the summary
states what every other surface states.
"""

from __future__ import annotations

import json
from datetime import date

from pipeline.results import RESULT_TABLES, Results
from reporting.charts import millions as m
from reporting.views import headline, ranking_determination

TOP = 10  # systems the summary lists


def analysis_summary(results: Results, imputation_message: str = "") -> dict:
    """Return the analysis summary (the `analyse --json` contract): headline, imputation, coverage, ranking, graph."""
    assessment, run = results.assessment, results.run
    figures = headline(assessment, results["model_inputs"], run)
    metrics = results["system_metrics"]
    coverage = results["input_coverage"]
    findings = results["graph_findings"]["kind"].value_counts().sort_index()
    clusters = metrics.loc[metrics["cluster_size"] > 1, "cluster_id"].nunique()
    top = assessment.head(TOP)
    return {
        "systems": len(metrics),
        "as_of": results.settings.as_of.isoformat(),
        "draws": int(run["draws"]),
        "seed": int(run["seed"]),
        "headline": figures,
        "reported_cost_gbp": figures["reported_cost_gbp"],
        "imputed_cost_gbp": figures["imputed_cost_gbp"],
        "hidden_cost_gbp": figures["hidden_cost_gbp"],
        "imputed_systems": figures["imputed"],
        "imputation": {
            "method": run["imputation_method"],
            "imputed": bool(figures["imputed"]),
            "message": imputation_message,
            "cv_mape": run["imputation_cv_mape"],
            "cv_mdape": run["imputation_cv_mdape"],
            "interval_coverage": run["imputation_interval_coverage"],
            "smearing_factor": run["imputation_smearing_factor"],
        },
        "coverage": dict(zip(coverage["input"], coverage["share_of_systems"], strict=True)),
        "coverage_of_reported_cost": dict(zip(coverage["input"], coverage["share_of_reported_cost"], strict=True)),
        "calibration": results["calibration"][["anchor", "source", "published", "estate", "unit"]].to_dict("records"),
        "warnings": json.loads(run["warnings"] or "[]"),
        "candidates": int(assessment["candidate"].sum()),
        "ranking": ranking_determination(assessment, results["parameters_used"], results["information_fields"], run),
        "method_agreement": results["method_agreement"].to_dict("records"),
        "method_disagreements": results["method_disagreements"].to_dict("records"),
        "waves": int(metrics["wave"].max()) if len(metrics) else 0,
        "clusters": int(clusters),
        "largest_cluster": int(metrics["cluster_size"].max()) if len(metrics) else 0,
        "betweenness_sources": int(metrics["betweenness_sources"].iloc[0]) if len(metrics) else 0,
        "findings": {str(k): int(v) for k, v in findings.items()},
        "top": top[["rank", "system_id", "score", "candidate", "npv_gbp", "probability_npv_positive",
                    "total_cost_of_legacy_gbp", "hidden_cost_gbp", "risk_rag", "suggested_action"]].to_dict("records"),
        "department_silos": results["department_silos"].to_dict("records"),
    }  # fmt: skip


def summary_lines(summary: dict, written_to: str) -> list[str]:
    """Return the summary as lines for people (what `estate analyse` prints without --json)."""
    figures, imputation = summary["headline"], summary["imputation"]
    lines = [
        f"{summary['systems']:,} systems assessed at {date.fromisoformat(summary['as_of']):%d/%m/%Y}; "
        f"{summary['draws']:,} Monte Carlo draws, "
        f"seed {summary['seed']}",
        f"reported annual cost: {m(figures['reported_cost_gbp'])} (observed cost lines, latest financial year); "
        f"imputed beside it: {m(figures['imputed_cost_gbp'])} for {figures['imputed']} system(s)"
        + (f"; {figures['assumed_costs']} run cost(s) unknown (assumed from the prior)" if figures["assumed_costs"]
           else ""),
        f"imputation: {imputation['message'] or imputation['method']}",
        f"legacy premium within reported cost (expected): {m(figures['legacy_premium_gbp'])} a year; "
        f"on imputed or assumed costs, apart: {m(figures['legacy_premium_unobserved_gbp'])}",
        f"hidden annual cost (expected): {m(figures['hidden_cost_gbp'])} (P10 {m(figures['hidden_cost_p10_gbp'])} - "
        f"P90 {m(figures['hidden_cost_p90_gbp'])}); {figures['assumed_share']:.0%} of it rests on assumed inputs",
        f"implied breaches a year across the estate (sanity figure): {figures['implied_breaches_per_year']:.1f}",
        "input coverage (share of systems observed): "
        + ", ".join(f"{name} {share:.0%}" for name, share in summary["coverage"].items()),
        "calibration (published -> this estate):",
    ]  # fmt: skip
    for row in summary["calibration"]:
        published = "-" if row["published"] != row["published"] else f"{row['published']:.2f}"
        lines.append(f"  {row['anchor']}: {published} -> {row['estate']:.2f} ({row['unit']})")
    lines += [f"warning: {w}" for w in summary["warnings"]]
    ranking = summary["ranking"]
    lines.append(f"ranking: {'determined' if ranking['determined'] else 'not determined'}: {ranking['reason']}")
    agreement = summary["method_agreement"]
    if agreement:
        lines.append(
            f"rank agreement over {int(agreement[0]['candidates'])} candidates (Kendall tau; top-N overlap): "
            + ", ".join(f"{r['method_a']}-{r['method_b']} {r['kendall_tau']:.2f}; {r['top_n_overlap']:.0%}"
                        for r in agreement)
        )  # fmt: skip
    exact = summary["betweenness_sources"] >= summary["systems"]
    lines += [
        f"{summary['waves']} modernisation wave(s); {summary['clusters']} coupled cluster(s), largest "
        f"{summary['largest_cluster']} systems",
        f"betweenness: {'exact' if exact else 'sampled from ' + str(summary['betweenness_sources']) + ' sources'}",
        "findings: " + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in summary["findings"].items()) or "none"),
        f"top replacement candidates of {summary['candidates']} (by expected NPV per £ of capex; see `estate rank`):",
    ]
    for row in summary["top"]:
        if row["candidate"]:
            lines.append(
                f"  {row['rank']:>3}. {row['system_id']} NPV/£ {row['score']:.2f}: expected NPV "
                f"{m(row['npv_gbp'], 2)} (P(NPV>0) {row['probability_npv_positive']:.0%}), cost of legacy "
                f"{m(row['total_cost_of_legacy_gbp'], 2)}/year, {row['risk_rag']}, {row['suggested_action']}"
            )
    lines.append(f"{written_to}: {', '.join(t.name for t in RESULT_TABLES)}")
    return lines
