"""A LeanIX-compatible server for tests: the token exchange and a GraphQL API (graphql-core) over TLS on loopback.

POST /services/mtm/v1/oauth2/token (basic `apitoken:TOKEN`, grant_type=client_credentials) answers a bearer
access token; POST /services/pathfinder/v1/graphql runs the query against a schema shaped like LeanIX's:
allFactSheets(factSheetType, first, after, filter {facetFilters}, sort) -> totalCount, pageInfo, edges { node },
BaseFactSheet implemented by Application (businessCriticality, lifecycle, relApplicationToITComponent with
costTotalAnnual), Interface (provider and consumer applications) and ITComponent. Unknown fields or arguments are
GraphQL errors (HTTP 200 with `errors`), as a real GraphQL server answers. Archived fact sheets appear only under
the TrashBin facet.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from graphql import build_schema, graphql_sync

from tests.servers.tls import TLSServer, body_of, send_json

SDL = """
enum FactSheetType { Application Interface ITComponent }
enum FactSheetStatus { ACTIVE ARCHIVED }
enum SortOrder { asc desc }
enum SortMode { BY_FIELD BY_LIFECYCLE_LAST }
input Sorting { key: String, order: SortOrder, mode: SortMode }
input FacetKeyFilter { facetKey: String!, keys: [String], operator: String }
input FilterInput { facetFilters: [FacetKeyFilter], fullTextSearch: String, ids: [ID] }
type PageInfo { hasNextPage: Boolean!, hasPreviousPage: Boolean!, startCursor: String, endCursor: String }
interface BaseFactSheet {
  id: ID!, type: String, name: String, displayName: String, description: String, updatedAt: String,
  status: FactSheetStatus
}
type LifecyclePhase { phase: String, startDate: String }
type Lifecycle { asString: String, phases: [LifecyclePhase] }
type RelToITComponent { costTotalAnnual: Float, factSheet: BaseFactSheet }
type RelToITComponentEdge { node: RelToITComponent }
type RelToITComponentConnection { totalCount: Int, edges: [RelToITComponentEdge] }
type RelToFactSheet { factSheet: BaseFactSheet }
type RelToFactSheetEdge { node: RelToFactSheet }
type RelToFactSheetConnection { totalCount: Int, edges: [RelToFactSheetEdge] }
type Application implements BaseFactSheet {
  id: ID!, type: String, name: String, displayName: String, description: String, updatedAt: String,
  status: FactSheetStatus, businessCriticality: String, lifecycle: Lifecycle,
  relApplicationToITComponent: RelToITComponentConnection
}
type Interface implements BaseFactSheet {
  id: ID!, type: String, name: String, displayName: String, description: String, updatedAt: String,
  status: FactSheetStatus, relInterfaceToProviderApplication: RelToFactSheetConnection,
  relInterfaceToConsumerApplication: RelToFactSheetConnection
}
type ITComponent implements BaseFactSheet {
  id: ID!, type: String, name: String, displayName: String, description: String, updatedAt: String,
  status: FactSheetStatus
}
type FactSheetEdge { node: BaseFactSheet, cursor: String }
type FactSheetConnection { totalCount: Int, pageInfo: PageInfo, edges: [FactSheetEdge] }
type Query {
  allFactSheets(first: Int, after: String, factSheetType: FactSheetType, filter: FilterInput,
                sort: [Sorting]): FactSheetConnection
}
"""


class LeanIXServer(TLSServer):
    """Fact sheets (dicts) served through a LeanIX-shaped GraphQL API."""

    def __init__(self, api_token: str = "lx-token", throttle_every: int = 0, sortable: bool = True):
        super().__init__()
        self.api_token = api_token
        self.throttle_every = throttle_every
        self.fact_sheets: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.clock = datetime(2026, 2, 1, 8, 0, 0)
        self.log: list[dict] = []  # every GraphQL request: query and variables
        self.requests = 0
        self.throttled = 0
        self.issued: set[str] = set()
        sdl = SDL if sortable else SDL.replace(",\n                sort: [Sorting]", "")
        self.schema = build_schema(sdl)
        self.schema.type_map["BaseFactSheet"].resolve_type = lambda obj, *_: obj["type"]
        self._ids = 0

    def _stamp(self) -> str:
        self.clock += timedelta(seconds=1)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.000000Z")

    def add(self, kind: str, name: str, **fields) -> str:
        with self.lock:
            self._ids += 1
            fid = fields.pop("id", None) or f"{self._ids:08x}-0000-4000-8000-{self._ids:012x}"
            self.fact_sheets[fid] = {"id": fid, "type": kind, "name": name, "displayName": name, "description": "",
                                     "status": "ACTIVE", "updatedAt": self._stamp(), **fields}  # fmt: skip
            return fid

    def update(self, fid: str, **fields) -> None:
        with self.lock:
            self.fact_sheets[fid].update(fields, updatedAt=self._stamp())

    def archive(self, fid: str) -> None:
        self.update(fid, status="ARCHIVED")

    def _node(self, fact_sheet: dict) -> dict:
        """Return a fact sheet with its relations' fact sheets in place of their IDs."""
        node = dict(fact_sheet)
        if node["type"] == "Application":
            edges = [{"node": {"costTotalAnnual": cost, "factSheet": self.fact_sheets[i]}}
                     for i, cost in fact_sheet.get("itComponents", [])]  # fmt: skip
            node["relApplicationToITComponent"] = {"totalCount": len(edges), "edges": edges}
        if node["type"] == "Interface":
            for key, relation in (("provider", "relInterfaceToProviderApplication"),
                                  ("consumers", "relInterfaceToConsumerApplication")):  # fmt: skip
                edges = [{"node": {"factSheet": self.fact_sheets[i]}} for i in fact_sheet.get(key, [])]
                node[relation] = {"totalCount": len(edges), "edges": edges}
        return node

    def _all(self, _root, _info, first=None, after=None, factSheetType=None, filter=None, sort=None):
        facets = {f["facetKey"]: f.get("keys") or [] for f in (filter or {}).get("facetFilters") or []}
        archived = "archived" in facets.get("TrashBin", [])
        wanted = facets.get("FactSheetTypes") or ([factSheetType] if factSheetType else None)
        with self.lock:
            rows = [f for f in self.fact_sheets.values() if (f["status"] == "ARCHIVED") == archived
                    and (wanted is None or f["type"] in wanted)]  # fmt: skip
            rows.sort(key=lambda f: f["id"])
            for order in reversed(sort or []):
                rows.sort(key=lambda f, k=order["key"]: str(f.get(k, "")), reverse=order.get("order") == "desc")
            start = int(base64.b64decode(after).decode()) if after else 0
            size = first if first is not None else 1000
            page = rows[start : start + size]
            edges = [{"node": self._node(f), "cursor": base64.b64encode(str(start + i + 1).encode()).decode()}
                     for i, f in enumerate(page)]  # fmt: skip
        end = start + len(page)
        return {"totalCount": len(rows), "edges": edges, "pageInfo": {
            "hasNextPage": end < len(rows), "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None, "endCursor": edges[-1]["cursor"] if edges else None,
        }}  # fmt: skip

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = body_of(handler)
        with self.lock:
            self.requests += 1
            throttle = self.throttle_every and self.requests % self.throttle_every == 0
        if throttle:
            self.throttled += 1
            return send_json(handler, 429, {"error": "rate limit"}, {"Retry-After": "1"})
        if handler.path == "/services/mtm/v1/oauth2/token" and handler.command == "POST":
            expected = "Basic " + base64.b64encode(f"apitoken:{self.api_token}".encode()).decode()
            form = parse_qs(body.decode())
            if handler.headers.get("Authorization") != expected or form.get("grant_type") != ["client_credentials"]:
                return send_json(handler, 401, {"error": "invalid_client"})
            token = base64.b64encode(f"access-{self.requests}".encode()).decode()
            self.issued.add(token)
            return send_json(handler, 200, {"access_token": token, "token_type": "bearer", "expires_in": 3599})
        if handler.path == "/services/pathfinder/v1/graphql" and handler.command == "POST":
            header = handler.headers.get("Authorization", "")
            if not header.startswith("Bearer ") or header[7:] not in self.issued:
                return send_json(handler, 401, {"errors": [{"message": "Unauthorized"}]})
            request = json.loads(body or b"{}")
            self.log.append(request)
            result = graphql_sync(self.schema, request.get("query", ""), root_value={},
                                  variable_values=request.get("variables"),
                                  field_resolver=self._resolver)  # fmt: skip
            answer = {"data": result.data}
            if result.errors:
                answer["errors"] = [{"message": e.message} for e in result.errors]
            return send_json(handler, 200, answer)
        send_json(handler, 404, {"error": "not found"})

    def _resolver(self, source, info, **args):
        if info.field_name == "allFactSheets" and info.parent_type.name == "Query":
            return self._all(source, info, **args)
        return source.get(info.field_name) if isinstance(source, dict) else getattr(source, info.field_name, None)
