"""A ServiceNow-compatible Table API server for tests: TLS on loopback, as ServiceNow's documentation describes it.

GET /api/now/table/{table} with sysparm_query (conditions joined by ^ with =, !=, >, >=, <, <=, and ORDERBY /
ORDERBYDESC), sysparm_fields, sysparm_display_value (true | false | all), sysparm_exclude_reference_link,
sysparm_limit (default and ceiling 10,000), sysparm_offset; the Link header (first, prev, next, last) and
X-Total-Count; basic or bearer authentication (401 otherwise); 429 Too Many Requests with Retry-After every
`throttle_every` requests. Reference fields (department, parent, child, type) hold sys_ids and display the
referenced record's name. Records are changed between syncs through the server object.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.servers.tls import TLSServer, send_json

REFERENCES = {"department": "cmn_department", "parent": "cmdb_ci", "child": "cmdb_ci", "type": "cmdb_rel_type"}
CONDITION = re.compile(r"^([A-Za-z_.]+?)(>=|<=|!=|=|>|<)(.*)$")


class ServiceNowServer(TLSServer):
    """Tables of records (dicts of database values); `start()` serves them over TLS on 127.0.0.1."""

    def __init__(self, user: str = "estate", password: str = "s3cret", token: str = "", throttle_every: int = 0):
        self.user, self.password, self.token = user, password, token
        self.throttle_every = throttle_every
        self.retry_after = "1"
        self.tables: dict[str, dict[str, dict]] = {}
        self.log: list[tuple[str, dict]] = []  # (path, query parameters) of every request answered
        self.throttled = 0
        self.answers: list[tuple[float, int]] = []  # (time.monotonic(), status) of every answer
        self.max_limit = 10000  # the instance's ceiling on sysparm_limit (ServiceNow's default and maximum)
        self.ignore_query = False  # an instance that does not apply sysparm_query (answers in insertion order)
        self.fail_table = ""  # a table whose reads answer 500 (a failing instance)
        self.on_page = None  # called (table, params) before a page is cut: a change made mid-read
        self.clock = datetime(2026, 1, 5, 9, 0, 0)
        self.lock = threading.Lock()
        super().__init__()
        self._ids = 0

    # -- data ------------------------------------------------------------------------------------------
    def tick(self) -> str:
        """Advance the server clock one second and return it as ServiceNow writes sys_updated_on (UTC)."""
        self.clock += timedelta(seconds=1)
        return self.clock.strftime("%Y-%m-%d %H:%M:%S")

    def new_id(self) -> str:
        self._ids += 1
        return f"{self._ids:032x}"

    def add(self, table: str, same_second: bool = False, **fields) -> str:
        """Insert a record (database values) and return its sys_id."""
        with self.lock:
            sys_id = fields.pop("sys_id", None) or self.new_id()
            stamp = self.clock.strftime("%Y-%m-%d %H:%M:%S") if same_second else self.tick()
            self.tables.setdefault(table, {})[sys_id] = {"sys_id": sys_id, "sys_updated_on": stamp, **fields}
            return sys_id

    def update(self, table: str, sys_id: str, **fields) -> None:
        with self.lock:
            self.tables[table][sys_id].update(fields, sys_updated_on=self.tick())

    def delete(self, table: str, sys_id: str) -> None:
        with self.lock:
            del self.tables[table][sys_id]

    def _authorised(self, handler: BaseHTTPRequestHandler) -> bool:
        header = handler.headers.get("Authorization", "")
        if self.token and header == f"Bearer {self.token}":
            return True
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == expected

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        status = self._answer(handler)
        self.answers.append((time.monotonic(), status))

    def _answer(self, handler: BaseHTTPRequestHandler) -> int:
        parts = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if not self._authorised(handler):
            body = {"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
                    "status": "failure"}  # fmt: skip
            send_json(handler, 401, body)
            return 401
        match = re.fullmatch(r"/api/now/table/([A-Za-z0-9_]+)", parts.path)
        table = match.group(1) if match else ""
        with self.lock:
            self.log.append((parts.path, params))
            count = len(self.log)
            throttle = self.throttle_every and count % self.throttle_every == 0
        if throttle:
            self.throttled += 1
            send_json(handler, 429, {"error": {"message": "Too Many Requests"}, "status": "failure"},
                      {"Retry-After": self.retry_after})  # fmt: skip
            return 429
        if not match:
            send_json(handler, 400, {"error": {"message": "Invalid table"}, "status": "failure"})
            return 400
        if table == self.fail_table:
            send_json(handler, 500, {"error": {"message": "Internal error"}, "status": "failure"})
            return 500
        if self.on_page is not None:
            self.on_page(table, params)
        with self.lock:
            records = list(self.tables.get(table, {}).values())
            try:
                records = records if self.ignore_query else _query(records, params.get("sysparm_query", ""))
            except ValueError as exc:
                send_json(handler, 400, {"error": {"message": str(exc)}, "status": "failure"})
                return 400
            total = len(records)
            limit = min(int(params.get("sysparm_limit", "10000")), self.max_limit)
            offset = int(params.get("sysparm_offset", "0"))
            page = records[offset : offset + limit]
            mode = params.get("sysparm_display_value", "false")
            fields = [f for f in params.get("sysparm_fields", "").split(",") if f]
            result = [self._shape(r, fields, mode) for r in page]
        base = f"{self.url}{parts.path}"
        links = []
        for rel, at in (("first", 0), ("prev", max(offset - limit, 0)), ("next", offset + limit),
                        ("last", max(total - limit, 0))):  # fmt: skip
            if rel == "next" and offset + limit >= total:
                continue
            links.append(f'<{base}?{urlencode(params | {"sysparm_offset": str(at)})}>;rel="{rel}"')
        send_json(handler, 200, {"result": result}, {"Link": ",".join(links), "X-Total-Count": str(total)})
        return 200

    def _shape(self, record: dict, fields: list[str], mode: str) -> dict:
        shaped = {}
        for name in fields or list(record):
            value = record.get(name, "")
            display = value
            if name in REFERENCES and value:
                referenced = self.tables.get(REFERENCES[name], {}).get(value)
                if referenced is None and REFERENCES[name] == "cmdb_ci":  # a class table extends cmdb_ci
                    referenced = next((t[value] for t in self.tables.values() if value in t), None)
                display = (referenced or {}).get("name", "")
            if mode == "all":
                shaped[name] = {"display_value": display, "value": value}
            elif mode == "true":
                shaped[name] = display
            else:
                shaped[name] = value
        return shaped


def _query(records: list[dict], query: str) -> list[dict]:
    order: list[tuple[str, bool]] = []
    for term in [t for t in query.split("^") if t]:
        if term.startswith("ORDERBYDESC"):
            order.append((term[len("ORDERBYDESC") :], True))
            continue
        if term.startswith("ORDERBY"):
            order.append((term[len("ORDERBY") :], False))
            continue
        match = CONDITION.match(term)
        if not match:
            raise ValueError(f"cannot parse query term {term!r}")
        name, op, value = match.groups()
        test = {"=": str.__eq__, "!=": str.__ne__, ">": str.__gt__, ">=": str.__ge__, "<": str.__lt__,
                "<=": str.__le__}[op]  # fmt: skip
        records = [r for r in records if test(str(r.get(name, "")), value)]
    for name, descending in reversed(order):
        records.sort(key=lambda r, n=name: str(r.get(n, "")), reverse=descending)
    return records
