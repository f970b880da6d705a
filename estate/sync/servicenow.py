"""ServiceNow's Table API: Business Applications (cmdb_ci_business_app) and CI relationships (cmdb_rel_ci).

What is read, and how (ServiceNow's Table API documentation, GET /now/table/{tableName}):
- `sysparm_fields`: only the fields the built-in `servicenow` profile's [api] maps, with sys_id and sys_updated_on;
- `sysparm_display_value=all`: each field as {value, display_value}; the profile says which it takes;
- `sysparm_exclude_reference_link=true`: no link per reference field;
- keyset paging: `sysparm_query` orders by sys_updated_on then sys_id (ORDERBY) and each page starts after the
  last record read, so a record deleted mid-read cannot shift the rest (as offset paging's sysparm_offset would);
- `sysparm_limit` at most 10,000 (the Table API's documented default, "unusually large sysparm_limit values can
  impact system performance"); 1,000 by default;
- 429 Too Many Requests waited out for its Retry-After seconds (inbound REST API rate limiting); 401 and 403 end
  the sync naming the variables to set.
Credentials: SERVICENOW_TOKEN (an OAuth bearer token) or SERVICENOW_USERNAME and SERVICENOW_PASSWORD (basic).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx

from estate.mapping import MappingProfile, builtin_profile
from estate.sync.core import Fetched, Sheet, Source
from estate.sync.http import Http, SyncError, SyncUsageError, checked_url

PAGE_SIZE = 1000
MAX_PAGE = 10_000
ORDER = "ORDERBYsys_updated_on^ORDERBYsys_id"
CREDENTIALS = "SERVICENOW_USERNAME and SERVICENOW_PASSWORD (or SERVICENOW_TOKEN, an OAuth bearer token)"


class ServiceNow(Source):
    """A ServiceNow instance read through the Table API."""

    kind = "servicenow"
    label = "ServiceNow"
    reconcile_every = 1  # the sys_id list (one field, 10,000 a page) on every sync: a deletion leaves at once

    def __init__(
        self,
        instance: str,
        profile: MappingProfile | None = None,
        *,
        ca_bundle: Path | None = None,
        page_size: int = PAGE_SIZE,
        environ: Mapping[str, str] = os.environ,
        sleep: Callable[[float], None] | None = None,
    ):
        self.url = checked_url(instance, "--instance")
        self.profile = profile or builtin_profile("servicenow")
        self.api = _api(self.profile)
        if not 1 <= page_size <= MAX_PAGE:
            raise SyncUsageError(f"--page-size {page_size}: the Table API returns 1 to {MAX_PAGE:,} records a page")
        self.page_size = page_size
        token = environ.get("SERVICENOW_TOKEN", "").strip()
        user, password = environ.get("SERVICENOW_USERNAME", ""), environ.get("SERVICENOW_PASSWORD", "")
        if token:
            auth, headers = None, {"Authorization": f"Bearer {token}"}
        elif user and password:
            auth, headers = httpx.BasicAuth(user, password), {}
        else:
            raise SyncUsageError(f"no ServiceNow credentials: set {CREDENTIALS} in the environment")
        headers["Accept"] = "application/json"
        self.http = Http(self.url, "ServiceNow", auth=auth, headers=headers, ca_bundle=ca_bundle, sleep=sleep)

    def tables(self) -> dict[str, str]:
        """Return estate table -> the instance's table it is read from."""
        return {name: spec["table"] for name, spec in self.api.items()}

    def read(self, cursors: dict[str, str], reconcile: bool) -> Fetched:
        """Return the records updated since each table's cursor (all of them without one), and every ID if asked."""
        fetched = Fetched()
        for name, spec in self.api.items():
            fields = ["sys_id", "sys_updated_on", *spec["fields"]]
            latest = cursors.get(name, "")
            for record in self._records(spec["table"], fields, cursors.get(name)):
                record_id = _value(record, "sys_id")
                updated = _value(record, "sys_updated_on")
                fetched.records[(name, record_id)] = (updated, record)  # a later page's state wins
                latest = max(latest, updated)
            fetched.cursors[name] = latest
            if reconcile:
                fetched.present[name] = set(self._ids(spec["table"]))
        return fetched

    def _get(self, table: str, params: dict[str, str]) -> tuple[list[dict], bool]:
        """Return a page of records and whether the query has more: X-Total-Count beyond the page (an instance
        may cap sysparm_limit below what was asked), else a full page."""
        response = self.http.request("GET", f"/api/now/table/{table}", params=params)
        if response.status_code == 401:
            raise SyncUsageError(
                f"ServiceNow {self.url} refused the credentials (HTTP 401): set {CREDENTIALS} to an account of "
                "that instance"
            )
        if response.status_code == 403:
            raise SyncUsageError(
                f"ServiceNow {self.url}: the account may not read {table} (HTTP 403): give the account of "
                f"{CREDENTIALS} read access to {table} (for example the itil or sn_apm.apm_user role)"
            )
        if response.status_code >= 400:
            raise SyncError(f"ServiceNow {self.url}: GET {table} answered HTTP {response.status_code}: "
                            f"{_error(response)}")  # fmt: skip
        try:
            result = response.json()["result"]
        except (ValueError, KeyError, TypeError):
            raise SyncError(f"ServiceNow {self.url}: GET {table} did not answer the Table API's JSON "
                            "({\"result\": [...]}): is --instance the instance's address?") from None  # fmt: skip
        if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
            raise SyncError(f"ServiceNow {self.url}: GET {table}: 'result' is not a list of records")
        total = response.headers.get("X-Total-Count", "")
        more = int(total) > len(result) if total.isdigit() else len(result) >= int(params["sysparm_limit"])
        return result, more and bool(result)

    def _records(self, table: str, fields: list[str], since: str | None) -> Iterator[dict]:
        """Yield every record updated at or after `since`, in (sys_updated_on, sys_id) order, page by page."""
        params = {
            "sysparm_fields": ",".join(fields),
            "sysparm_display_value": "all",
            "sysparm_exclude_reference_link": "true",
            "sysparm_limit": str(self.page_size),
        }
        last: tuple[str, str] | None = None
        tie = False  # after a full page: first the rest of the records updated in the same second as its last
        while True:
            if last is None:
                query = (f"sys_updated_on>={since}^" if since else "") + ORDER
            elif tie:
                query = f"sys_updated_on={last[0]}^sys_id>{last[1]}^ORDERBYsys_id"
            else:
                query = f"sys_updated_on>{last[0]}^{ORDER}"
            page, more = self._get(table, params | {"sysparm_query": query})
            for record in page:
                key = (_value(record, "sys_updated_on"), _value(record, "sys_id"))
                if not key[1]:
                    raise SyncError(f"ServiceNow {self.url}: a {table} record has no sys_id")
                if (last is not None and key <= last) or (last is None and since and key[0] < since):
                    raise SyncError(
                        f"ServiceNow {self.url}: {table} did not answer in the order or range asked "
                        f"(sysparm_query={query}): record {key[1]} updated {key[0]} came after {last}; the "
                        "instance must apply sysparm_query's ORDERBY and conditions for a sync to be complete"
                    )
                last = key
                yield record
            if more:
                tie = True
            elif tie:
                tie = False  # the same second is exhausted: go on to the later ones
            else:
                return

    def _ids(self, table: str) -> Iterator[str]:
        """Yield every sys_id of the table (the reconciliation's list), keyset-paged by sys_id."""
        params = {"sysparm_fields": "sys_id", "sysparm_limit": str(MAX_PAGE)}  # one field: the largest pages
        last = ""
        while True:
            query = (f"sys_id>{last}^" if last else "") + "ORDERBYsys_id"
            page, more = self._get(table, params | {"sysparm_query": query})
            for record in page:
                record_id = _value(record, "sys_id")
                if not record_id or record_id <= last:
                    raise SyncError(f"ServiceNow {self.url}: {table} did not answer sys_ids in the order asked "
                                    f"(sysparm_query={query})")  # fmt: skip
                last = record_id
                yield record_id
            if not more:
                return

    def render(self, mirror: dict[tuple[str, str], tuple[str, dict]]) -> list[Sheet]:
        """Return the mirror as the export's sheets: Business Applications, then relationships by Number."""
        sheets = []
        systems = sorted((k[1], r) for k, (_, r) in mirror.items() if k[0] == "systems")
        numbers = {record_id: _value(record, "number") for record_id, record in systems}
        for name, spec in self.api.items():
            records = (
                systems if name == "systems" else sorted((k[1], r) for k, (_, r) in mirror.items() if k[0] == name)
            )
            fields = list(spec["fields"])
            rows = []
            for record_id, record in records:
                cells = []
                for field_name in fields:
                    if field_name in spec.get("ends", ()):
                        end = _value(record, field_name)
                        # a CI that is not a synced application by its name (then left out as not a system);
                        # a reference to a deleted CI by its sys_id (left out the same way, never an empty end)
                        cells.append(numbers.get(end) or _display(record, field_name) or end)
                    elif field_name in spec.get("values", ()):
                        cells.append(_value(record, field_name))
                    else:
                        cells.append(_display(record, field_name))
                rows.append((record_id, cells))
            sheets.append(Sheet(name, spec["table"], [spec["fields"][f] for f in fields], fields, rows))
        return sheets


def _api(profile: MappingProfile) -> dict[str, dict]:
    """Return the profile's [api] tables, checked: systems and interfaces, each with a table and fields."""
    api = profile.api
    for name in ("systems", "interfaces"):
        spec = api.get(name)
        if not isinstance(spec, dict) or not isinstance(spec.get("table"), str) or not spec.get("fields"):
            raise SyncUsageError(
                f'{profile.source or "the profile"}: [api.{name}] must name the table (table = "...") and its '
                'fields ([api.{name}.fields] field = "Export column")'
            )
    return {name: api[name] for name in ("systems", "interfaces")}


def _value(record: dict, field_name: str) -> str:
    """Return a field's database value (sys_id for a reference) as text, whether or not display values came too."""
    value = record.get(field_name)
    if isinstance(value, dict):
        value = value.get("value")
    return "" if value is None else str(value)


def _display(record: dict, field_name: str) -> str:
    """Return a field's display value as text (its database value when the instance sent only that)."""
    value = record.get(field_name)
    if isinstance(value, dict):
        value = value.get("display_value", value.get("value"))
    return "" if value is None else str(value)


def _error(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('message', '')} {error.get('detail', '') or ''}".strip() or response.text[:300]
    except (ValueError, AttributeError):
        return " ".join(response.text.split())[:300]
