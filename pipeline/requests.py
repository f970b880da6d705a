"""`estate requests`: the stored value-of-information findings as data-request workbooks (estate.requests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from estate.requests import write_requests
from estate.store import merged_systems_sql, record_requests
from pipeline.results import ResultSource, as_source


def requests_from_store(where: ResultSource | Path, out: Path, per_system: int = 6) -> list[Path]:
    """Write one request workbook per owner or department for the stored missing facts; return the files."""
    source = as_source(where)
    stored = source.read(("information_fields", "model_inputs", "system_assessment"))
    with source.inputs() as connection:
        systems = connection.sql(f"SELECT system_id, name, department, owner FROM ({merged_systems_sql()})").df()
    fields = stored["information_fields"]
    inputs = stored["model_inputs"].set_index("system_id")
    run_cost = stored.assessment.set_index("system_id")["run_cost_gbp"]
    assumed = []
    for row in fields.itertuples():
        if row.field == "annual_cost_gbp":
            assumed.append(float(run_cost.get(row.system_id, np.nan)))
        elif row.field == "end_of_support":
            assumed.append(np.nan)
        else:
            assumed.append(float(inputs.at[row.system_id, row.field]))
    requests = fields.assign(assumed=assumed)
    requests = requests.groupby("system_id", sort=False).head(per_system)
    written = write_requests(
        requests[["system_id", "field", "value_gbp", "assumed", "low", "high"]].reset_index(drop=True), systems, out
    )
    record_requests(source.db, [record for _, record in written])  # a return is checked against these
    return [path for path, _ in written]
