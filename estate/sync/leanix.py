"""SAP LeanIX's GraphQL API: Applications (lifecycle, criticality, IT Component costs) and Interfaces.

What is read, and how (SAP LeanIX's API documentation):
- the API token in LEANIX_API_TOKEN is exchanged for an access token: POST /services/mtm/v1/oauth2/token with
  basic authentication `apitoken:TOKEN` and grant_type=client_credentials; the access token is a bearer token
  for POST /services/pathfinder/v1/graphql (exchanged again once if it expires mid-sync);
- `allFactSheets(factSheetType: ..., first:, after:)` paged by cursor (`pageInfo { hasNextPage endCursor }`),
  sorted by updatedAt, newest first, so a later sync stops at the first fact sheet older than its cursor;
- archived fact sheets (the TrashBin facet, `status: ARCHIVED`) leave the inventory;
- a GraphQL answer with an `errors` array (HTTP 200 or not) is an error, never partial data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx

from estate.mapping import MappingProfile, builtin_profile
from estate.sync.core import Fetched, Sheet, Source
from estate.sync.http import Http, SyncError, SyncUsageError, checked_url

PAGE_SIZE = 100
MAX_PAGE = 1000
TOKEN_PATH = "/services/mtm/v1/oauth2/token"
GRAPHQL_PATH = "/services/pathfinder/v1/graphql"
RELATED = "edges { node { factSheet { id name } } }"
NODE_FIELDS = {
    "Application": (
        "id name displayName description updatedAt status ... on Application { businessCriticality "
        "lifecycle { asString phases { phase startDate } } relApplicationToITComponent { edges { node { "
        "costTotalAnnual factSheet { id name } } } } }"
    ),
    "Interface": (
        f"id name displayName description updatedAt status ... on Interface {{ relInterfaceToProviderApplication "
        f"{{ {RELATED} }} relInterfaceToConsumerApplication {{ {RELATED} }} }}"
    ),
}
QUERY = (
    "query Page($first: Int, $after: String) {{ allFactSheets(factSheetType: {type}, first: $first, after: $after"
    "{arguments}) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {fields} }} }} }} }}"
)
NEWEST_FIRST = ', sort: [{mode: BY_FIELD, key: "updatedAt", order: desc}]'
ARCHIVED = ', filter: {facetFilters: [{facetKey: "TrashBin", keys: ["archived"]}]}'


class LeanIX(Source):
    """A LeanIX workspace read through its GraphQL API."""

    kind = "leanix"
    label = "LeanIX"

    def __init__(
        self,
        workspace: str,
        profile: MappingProfile | None = None,
        *,
        ca_bundle: Path | None = None,
        page_size: int = PAGE_SIZE,
        environ: Mapping[str, str] = os.environ,
        sleep: Callable[[float], None] | None = None,
    ):
        self.url = checked_url(workspace, "--workspace")
        self.profile = profile or builtin_profile("leanix")
        self.api = {}
        for name in ("systems", "interfaces"):
            spec = self.profile.api.get(name)
            if not isinstance(spec, dict) or spec.get("type") not in NODE_FIELDS or not spec.get("fields"):
                raise SyncUsageError(f"{self.profile.source or 'the profile'}: [api.{name}] must give type = "
                                     f"{' or '.join(NODE_FIELDS)} and its fields")  # fmt: skip
            self.api[name] = spec
        if not 1 <= page_size <= MAX_PAGE:
            raise SyncUsageError(f"--page-size {page_size}: give 1 to {MAX_PAGE:,} fact sheets a page")
        self.page_size = page_size
        self.token = environ.get("LEANIX_API_TOKEN", "").strip()
        if not self.token:
            raise SyncUsageError("no LeanIX API token: set LEANIX_API_TOKEN (Administration > Technical Users)")
        self.http = Http(self.url, "LeanIX", headers={"Accept": "application/json"}, ca_bundle=ca_bundle, sleep=sleep)
        self.access = ""
        self.sorted = True  # False once the workspace answered out of updatedAt order: then every page is read

    def tables(self) -> dict[str, str]:
        """Return estate table -> fact-sheet type."""
        return {name: spec["type"] for name, spec in self.api.items()}

    def read(self, cursors: dict[str, str], reconcile: bool) -> Fetched:
        """Return fact sheets updated since each type's cursor (all with none or when reconciling), and archived."""
        fetched = Fetched()
        self._authenticate()
        for name, spec in self.api.items():
            since = None if reconcile else cursors.get(name)
            latest = cursors.get(name, "")
            seen = set()
            for node in self._nodes(spec["type"], NEWEST_FIRST, since):
                if node.get("status", "ACTIVE") == "ARCHIVED":
                    fetched.removed.add((name, node["id"]))
                    continue
                seen.add(node["id"])
                fetched.records.setdefault((name, node["id"]), (node.get("updatedAt") or "", node))
                latest = max(latest, node.get("updatedAt") or "")
            fetched.cursors[name] = latest
            if reconcile:
                fetched.present[name] = seen
            for node in self._nodes(spec["type"], ARCHIVED, None):
                if node.get("status") == "ARCHIVED":  # a workspace that ignores the facet sends active ones too
                    fetched.removed.add((name, node["id"]))
        return fetched

    def _authenticate(self) -> None:
        response = self.http.request(
            "POST", TOKEN_PATH, auth=httpx.BasicAuth("apitoken", self.token), data={"grant_type": "client_credentials"}
        )
        if response.status_code in (400, 401, 403):
            raise SyncUsageError(f"LeanIX {self.url} refused the API token (HTTP {response.status_code}): set "
                                 "LEANIX_API_TOKEN to a technical user's token of this workspace")  # fmt: skip
        if response.status_code >= 400:
            raise SyncError(f"LeanIX {self.url}: the token exchange answered HTTP {response.status_code}")
        try:
            self.access = str(response.json()["access_token"])
        except (ValueError, KeyError, TypeError):
            raise SyncError(f"LeanIX {self.url}: the token exchange did not answer an access_token: is "
                            "--workspace the workspace's host?") from None  # fmt: skip

    def _graphql(self, query: str, variables: dict, again: bool = True) -> dict:
        response = self.http.request(
            "POST", GRAPHQL_PATH, json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.access}"},
        )  # fmt: skip
        if response.status_code == 401 and again:  # the access token expired mid-sync: exchange the API token once
            self._authenticate()
            return self._graphql(query, variables, again=False)
        if response.status_code in (401, 403):
            raise SyncUsageError(
                f"LeanIX {self.url}: the GraphQL API refused the access token (HTTP {response.status_code}): give "
                "LEANIX_API_TOKEN read access to fact sheets"
            )
        try:
            body = response.json()
        except ValueError:
            raise SyncError(f"LeanIX {self.url}: the GraphQL API answered HTTP {response.status_code} without "
                            "JSON") from None  # fmt: skip
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3])
            raise SyncError(f"LeanIX {self.url}: the GraphQL API answered errors: {messages}")
        if response.status_code >= 400 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise SyncError(f"LeanIX {self.url}: the GraphQL API answered HTTP {response.status_code} with no data")
        return body["data"]

    def _nodes(self, fact_sheet_type: str, arguments: str, since: str | None) -> Iterator[dict]:
        """Yield every fact sheet of the type (newest first when sorted), stopping at one older than `since`."""
        query = QUERY.format(type=fact_sheet_type, arguments=arguments, fields=NODE_FIELDS[fact_sheet_type])
        after: str | None = None
        previous = None
        while True:
            try:
                data = self._graphql(query, {"first": self.page_size, "after": after})
            except SyncError as exc:
                if arguments != NEWEST_FIRST or after is not None or "sort" not in str(exc).lower():
                    raise
                # a workspace whose API takes no sort: read every page (complete, not incremental)
                arguments, self.sorted = "", False
                query = QUERY.format(type=fact_sheet_type, arguments="", fields=NODE_FIELDS[fact_sheet_type])
                continue
            connection = data.get("allFactSheets")
            if not isinstance(connection, dict) or not isinstance(connection.get("edges"), list):
                raise SyncError(f"LeanIX {self.url}: allFactSheets answered no edges")
            for edge in connection["edges"]:
                node = (edge or {}).get("node") if isinstance(edge, dict) else None
                if not isinstance(node, dict) or not node.get("id"):
                    raise SyncError(f"LeanIX {self.url}: a {fact_sheet_type} fact sheet without an id")
                updated = node.get("updatedAt") or ""
                if arguments == NEWEST_FIRST and previous is not None and updated > previous:
                    self.sorted = False  # not newest first: an early stop could miss fact sheets
                previous = updated
                if since and self.sorted and arguments == NEWEST_FIRST and updated < since:
                    return
                yield node
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            cursor = info.get("endCursor")
            if not cursor or cursor == after:
                raise SyncError(f"LeanIX {self.url}: allFactSheets said there is a next page but gave no new cursor")
            after = cursor

    def render(self, mirror: dict[tuple[str, str], tuple[str, dict]]) -> list[Sheet]:
        """Return the mirror as LeanIX's export sheets: Application and Interface."""
        sheets = []
        for name, spec in self.api.items():
            fields = list(spec["fields"])
            rows = []
            for (table, record_id), (_, node) in sorted(mirror.items()):
                if table == name:
                    rows.append((record_id, [_cell(node, f) for f in fields]))
            sheets.append(Sheet(name, spec["type"], [spec["fields"][f] for f in fields], fields, rows))
        return sheets


def _related(node: dict, relation: str) -> list[dict]:
    edges = ((node.get(relation) or {}).get("edges")) or []
    return [e["node"] for e in edges if isinstance(e, dict) and isinstance(e.get("node"), dict)]


def _cell(node: dict, path: str) -> str:
    """Return the text a fact sheet gives one export column (the [api] field paths leanix.toml names)."""
    if path.startswith("lifecycle."):
        lifecycle = node.get("lifecycle") or {}
        part = path.split(".", 1)[1]
        if part == "asString":
            return str(lifecycle.get("asString") or "")
        phases = {p.get("phase"): p.get("startDate") for p in lifecycle.get("phases") or [] if isinstance(p, dict)}
        return str(phases.get(part) or "")
    if path == "itComponents.costTotalAnnual":
        costs = [r.get("costTotalAnnual") for r in _related(node, "relApplicationToITComponent")]
        costs = [c for c in costs if isinstance(c, int | float) and not isinstance(c, bool)]
        return repr(float(sum(costs))) if costs else ""  # no cost on any relation: unknown, never £0
    if path in ("provider", "consumer"):
        relation = "relInterfaceToProviderApplication" if path == "provider" else "relInterfaceToConsumerApplication"
        return ";".join((r.get("factSheet") or {}).get("id", "") for r in _related(node, relation))
    value = node.get(path)
    return "" if value is None else str(value)
