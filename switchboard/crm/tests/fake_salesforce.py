"""A stateful fake Salesforce that speaks the REST wire format, over HTTPS, for tests and benches.

It serves what Switchboard's connector uses, as Salesforce documents it (REST API Developer
Guide, Bulk API 2.0 guide):

- ``POST /services/oauth2/token`` (client-credentials flow) → access token + instance URL;
- ``GET  /services/data/vXX.X/query?q=SOQL`` and the ``nextRecordsUrl`` pages (2,000 records);
- ``GET  …/sobjects/<Object>/updated/?start=&end=`` and ``…/deleted/?start=&end=``;
- ``PATCH …/sobjects/<Object>/<ExternalIdField>/<value>`` (upsert by external id);
- ``PATCH …/composite/sobjects/<Object>/<ExternalIdField>`` (up to 200 records, allOrNone);
- ``POST …/jobs/query``, ``GET …/jobs/query/<id>``, ``GET …/jobs/query/<id>/results``
  (CSV pages with ``Sforce-Locator`` / ``Sforce-NumberOfRecords``, ``maxRecords``);
- ``GET …/limits``; every data response carries ``Sforce-Limit-Info: api-usage=n/max``;
- errors as Salesforce sends them: ``[{"message": …, "errorCode": …}]`` — 401
  ``INVALID_SESSION_ID``, 403 ``REQUEST_LIMIT_EXCEEDED``, 400 ``MALFORMED_QUERY`` /
  ``INVALID_FIELD`` / ``INVALID_TYPE``, 404 ``NOT_FOUND``.

The SOQL it understands is in ``soql.py``. Tests change its state directly (``add``,
``update``, ``delete``) and inject faults (``expire_sessions``, ``rate_limit``). The certificate
comes from ``trustme``; point ``REQUESTS_CA_BUNDLE`` at ``ca_path`` and the unmodified
simple-salesforce client verifies it like a real instance.

Run on its own (the bench starts it in a separate process)::

    python -m switchboard.crm.tests.fake_salesforce --accounts 100000 --contacts 300000
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import secrets
import ssl
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from switchboard.crm.ids import checksum
from switchboard.crm.tests import soql

BATCH_SIZE = 2000
COMPOSITE_MAX = 200
PREFIX = {"Account": "001", "Contact": "003", "Case": "500", "User": "005"}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DATA_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d)/(?P<rest>.*)$")
# Fields every object has, besides those given to add().
SYSTEM_FIELDS = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")


def sf_datetime(value: datetime) -> str:
    """Salesforce's JSON date-time: 2026-12-04T18:00:00.000+0000."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _error(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        body["fields"] = fields
    return [body]


class Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeSalesforce:
    def __init__(
        self,
        *,
        client_id: str = "switchboard-test",
        client_secret: str = "test-secret",
        daily_limit: int = 1_000_000,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.daily_limit = daily_limit
        self.api_used = 0
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, dict[str, Any]]] = {o: {} for o in PREFIX}
        self.deleted: dict[str, list[tuple[str, datetime]]] = {o: [] for o in PREFIX}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.counter = itertools.count(1)
        self.clock: datetime | None = None  # None: real time
        self._expire_after: int | None = None
        self._rate_limit_after: int | None = None
        self._rate_limited_requests = 0
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.ca_path = ""
        self.url = ""

    # --- state, as tests change it -------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    def new_id(self, sobject: str) -> str:
        number = next(self.counter)
        body = ""
        for _ in range(9):
            number, digit = divmod(number, 62)
            body = _BASE62[digit] + body
        id15 = PREFIX[sobject] + "Qz0" + body
        return id15 + checksum(id15)

    def add(self, sobject: str, **fields: Any) -> str:
        with self.lock:
            record_id = fields.pop("Id", None) or self.new_id(sobject)
            stamp = sf_datetime(self.now())
            self.records[sobject][record_id] = {
                "Id": record_id,
                "IsDeleted": False,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                **fields,
            }
            return record_id

    def add_many(self, sobject: str, rows: Iterable[dict[str, Any]]) -> list[str]:
        with self.lock:
            return [self.add(sobject, **row) for row in rows]

    def update(self, sobject: str, record_id: str, **fields: Any) -> None:
        with self.lock:
            record = self.records[sobject][record_id]
            record.update(fields)
            stamp = sf_datetime(self.now())
            record["LastModifiedDate"] = record["SystemModstamp"] = stamp

    def delete(self, sobject: str, record_id: str) -> None:
        with self.lock:
            self.records[sobject].pop(record_id)
            self.deleted[sobject].append((record_id, self.now()))

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        return self.records[sobject][record_id]

    def find(self, sobject: str, **where: Any) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records[sobject].values()
            if all(r.get(k) == v for k, v in where.items())
        ]

    # --- faults --------------------------------------------------------------------------------

    def expire_sessions(self, after_requests: int = 0) -> None:
        """Every issued session becomes invalid after `after_requests` more data requests."""
        self._expire_after = after_requests

    def rate_limit(self, after_requests: int = 0, requests: int = 1) -> None:
        """After `after_requests` more data requests, refuse `requests` (REQUEST_LIMIT_EXCEEDED)."""
        self._rate_limit_after = after_requests
        self._rate_limited_requests = requests

    def _faults(self) -> None:
        if self._expire_after is not None:
            if self._expire_after <= 0:
                self.tokens.clear()
                self._expire_after = None
            else:
                self._expire_after -= 1
        if self._rate_limit_after is not None:
            if self._rate_limit_after <= 0:
                if self._rate_limited_requests > 0:
                    self._rate_limited_requests -= 1
                    if self._rate_limited_requests == 0:
                        self._rate_limit_after = None
                    raise Reply(
                        403,
                        _error(
                            "REQUEST_LIMIT_EXCEEDED",
                            "TotalRequests Limit exceeded.",
                        ),
                    )
            else:
                self._rate_limit_after -= 1

    # --- serving -------------------------------------------------------------------------------

    def start(self, cert_dir: Path) -> FakeSalesforce:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = str(cert_dir / "fake-salesforce-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        fake = self

        class Handler(_Handler):
            server_state = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- request handling ----------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> tuple[int, Any]:
        with self.lock:
            self.token_requests += 1
            if form.get("grant_type") != "client_credentials":
                return 400, {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                }
            if (
                form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
            ):
                return 400, {
                    "error": "invalid_client",
                    "error_description": "invalid client credentials",
                }
            token = "00D" + secrets.token_urlsafe(24)
            self.tokens.add(token)
            return 200, {
                "access_token": token,
                "instance_url": self.url,
                "id": f"{self.url}/id/00DQz0000000001/005Qz0000000001",
                "token_type": "Bearer",
                "issued_at": str(int(self.now().timestamp() * 1000)),
                "signature": secrets.token_urlsafe(32),
            }

    def data(
        self, method: str, path: str, query: dict[str, str], authorization: str, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        match = DATA_PATH.match(path)
        if not match:
            raise Reply(404, _error("NOT_FOUND", "The requested resource does not exist"))
        with self.lock:
            self.requests.append((method, path))
            self._faults()
            token = authorization.removeprefix("Bearer ").strip()
            if token not in self.tokens:
                raise Reply(401, _error("INVALID_SESSION_ID", "Session expired or invalid"))
            if self.api_used >= self.daily_limit:
                raise Reply(403, _error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
            self.api_used += 1
            version = match.group("version")
            status, payload, headers = self._route(
                method, match.group("rest"), query, body, version
            )
            headers["Sforce-Limit-Info"] = f"api-usage={self.api_used}/{self.daily_limit}"
            return status, payload, headers

    def _route(
        self, method: str, rest: str, query: dict[str, str], body: bytes, version: str
    ) -> tuple[int, Any, dict[str, str]]:
        base = f"/services/data/v{version}"
        parts = [p for p in rest.split("/") if p]
        if parts == ["limits"] and method == "GET":
            return 200, self._limits(), {}
        if parts and parts[0] in ("query", "queryAll") and method == "GET":
            if len(parts) == 1:
                return 200, self._query(query.get("q", ""), base), {}
            return 200, self._query_more(parts[1], base), {}
        if len(parts) == 3 and parts[0] == "sobjects" and parts[2] in ("updated", "deleted"):
            return 200, self._changed(parts[1], parts[2], query), {}
        if len(parts) == 4 and parts[0] == "sobjects" and method == "PATCH":
            return self._upsert_one(parts[1], parts[2], parts[3], _json(body))
        if len(parts) == 3 and parts[0] == "sobjects" and method == "GET":
            record = self.records.get(self._object(parts[1]), {}).get(parts[2])
            if record is None:
                raise Reply(404, _error("NOT_FOUND", "The requested resource does not exist"))
            return 200, self._render(record, list(record), base, parts[1]), {}
        if len(parts) == 4 and parts[:2] == ["composite", "sobjects"] and method == "PATCH":
            return 200, self._upsert_many(parts[2], parts[3], _json(body)), {}
        if parts and parts[0] == "jobs" and len(parts) >= 2 and parts[1] == "query":
            return self._jobs(method, parts[2:], query, body)
        raise Reply(404, _error("NOT_FOUND", "The requested resource does not exist"))

    def _limits(self) -> dict[str, Any]:
        return {
            "DailyApiRequests": {
                "Max": self.daily_limit,
                "Remaining": self.daily_limit - self.api_used,
            },
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000 - len(self.jobs)},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
        }

    def _object(self, name: str) -> str:
        for known in self.records:
            if known.lower() == name.lower():
                return known
        raise Reply(
            404 if name else 400,
            _error("NOT_FOUND", f"The requested resource does not exist: sObject type '{name}'"),
        )

    def _select(self, text: str) -> tuple[soql.Query, list[dict[str, Any]]]:
        try:
            parsed = soql.parse(text)
        except soql.MalformedQuery as exc:
            raise Reply(400, _error("MALFORMED_QUERY", f"unexpected token: {exc}")) from None
        try:
            sobject = self._object(parsed.sobject)
        except Reply:
            raise Reply(
                400,
                _error(
                    "INVALID_TYPE",
                    f"sObject type '{parsed.sobject}' is not supported.",
                ),
            ) from None
        parsed.sobject = sobject
        rows = list(self.records[sobject].values())
        known = set(SYSTEM_FIELDS)
        for row in itertools.islice(rows, 50):
            known.update(row)
        for name in [*parsed.fields, *parsed.where_fields, *(n for n, _ in parsed.order_by)]:
            if rows and name.split(".")[0] not in known:
                raise Reply(
                    400,
                    _error("INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'."),
                )
        if parsed.where is not None:
            rows = [r for r in rows if parsed.where(r)]
        for name, descending in reversed(parsed.order_by):
            rows.sort(
                key=lambda r, n=name: (soql.get_value(r, n) is None, str(soql.get_value(r, n))),
                reverse=descending,
            )
        if parsed.limit is not None:
            rows = rows[: parsed.limit]
        return parsed, rows

    def _render(
        self, record: dict[str, Any], fields: list[str], base: str, sobject: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": sobject, "url": f"{base}/sobjects/{sobject}/{record['Id']}"}
        }
        for name in fields:
            if "." in name:
                relation, sub = name.split(".", 1)
                related = record.get(relation)
                if related is None:
                    out[relation] = None
                else:
                    out.setdefault(relation, {"attributes": {"type": "User"}})[sub] = related.get(
                        sub
                    )
            else:
                out[name] = record.get(name)
        return out

    def _query(self, text: str, base: str) -> dict[str, Any]:
        parsed, rows = self._select(text)
        rendered = [self._render(r, parsed.fields, base, parsed.sobject) for r in rows]
        return self._page(rendered, 0, base, uuid.uuid4().hex[:15])

    def _page(
        self, rendered: list[dict[str, Any]], offset: int, base: str, cursor: str
    ) -> dict[str, Any]:
        batch = rendered[offset : offset + BATCH_SIZE]
        done = offset + BATCH_SIZE >= len(rendered)
        result: dict[str, Any] = {"totalSize": len(rendered), "done": done, "records": batch}
        if not done:
            self.cursors[cursor] = rendered
            result["nextRecordsUrl"] = f"{base}/query/01g{cursor}-{offset + BATCH_SIZE}"
        else:
            self.cursors.pop(cursor, None)
        return result

    def _query_more(self, locator: str, base: str) -> dict[str, Any]:
        match = re.fullmatch(r"01g(?P<cursor>\w+)-(?P<offset>\d+)", locator)
        if not match or match.group("cursor") not in self.cursors:
            raise Reply(400, _error("INVALID_QUERY_LOCATOR", "invalid query locator"))
        cursor = match.group("cursor")
        return self._page(self.cursors[cursor], int(match.group("offset")), base, cursor)

    def _window(self, query: dict[str, str]) -> tuple[datetime, datetime]:
        try:
            start = soql.parse_datetime(query["start"])
            end = soql.parse_datetime(query["end"])
        except (KeyError, ValueError):
            raise Reply(
                400, _error("INVALID_REPLICATION_DATE", "start and end must be date-times")
            ) from None
        if end < start:
            raise Reply(400, _error("INVALID_REPLICATION_DATE", "end is before start"))
        if self.now() - start > timedelta(days=30):
            raise Reply(
                400,
                _error("INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago"),
            )
        return start, end

    def _changed(self, name: str, kind: str, query: dict[str, str]) -> dict[str, Any]:
        sobject = self._object(name)
        start, end = self._window(query)
        latest = sf_datetime(min(end, self.now()).replace(second=0, microsecond=0))
        if kind == "updated":
            ids = [
                r["Id"]
                for r in self.records[sobject].values()
                if start <= soql.parse_datetime(r["SystemModstamp"]) <= end
            ]
            return {"ids": ids, "latestDateCovered": latest}
        deleted = [
            {"id": record_id, "deletedDate": sf_datetime(at)}
            for record_id, at in self.deleted[sobject]
            if start <= at <= end
        ]
        return {
            "deletedRecords": deleted,
            "earliestDateAvailable": sf_datetime(self.now() - timedelta(days=15)),
            "latestDateCovered": latest,
        }

    def _apply(
        self, sobject: str, field: str, value: str, fields: dict[str, Any]
    ) -> tuple[str, bool]:
        if not isinstance(fields, dict):
            raise Reply(400, _error("JSON_PARSER_ERROR", "The body must be a JSON object"))
        fields = {k: v for k, v in fields.items() if k != "attributes"}
        matches = [r for r in self.records[sobject].values() if str(r.get(field)) == value]
        if len(matches) > 1:
            raise Reply(
                300,
                [f"/services/data/v62.0/sobjects/{sobject}/{r['Id']}" for r in matches],
            )
        if matches:
            self.update(sobject, matches[0]["Id"], **fields)
            return matches[0]["Id"], False
        return self.add(sobject, **{field: value, **fields}), True

    def _upsert_one(
        self, name: str, field: str, value: str, fields: Any
    ) -> tuple[int, Any, dict[str, str]]:
        sobject = self._object(name)
        record_id, created = self._apply(sobject, field, value, fields)
        return (
            201 if created else 200,
            {"id": record_id, "success": True, "errors": [], "created": created},
            {},
        )

    def _upsert_many(self, name: str, field: str, body: Any) -> list[dict[str, Any]]:
        sobject = self._object(name)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            raise Reply(400, _error("JSON_PARSER_ERROR", "records: a non-empty list is required"))
        if len(records) > COMPOSITE_MAX:
            raise Reply(
                400,
                _error(
                    "EXCEEDED_ID_LIMIT",
                    f"record limit reached. cannot submit more than {COMPOSITE_MAX} records",
                ),
            )
        results = []
        for record in records:
            value = record.get(field) if isinstance(record, dict) else None
            if value in (None, ""):
                results.append(
                    {
                        "success": False,
                        "errors": _error("MISSING_ARGUMENT", f"{field} not specified", [field]),
                    }
                )
                continue
            record_id, created = self._apply(sobject, field, str(value), record)
            results.append({"id": record_id, "success": True, "errors": [], "created": created})
        return results

    def _jobs(
        self, method: str, parts: list[str], query: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if not parts and method == "POST":
            spec = _json(body)
            if not isinstance(spec, dict) or spec.get("operation") not in ("query", "queryAll"):
                raise Reply(400, _error("INVALIDJOB", "operation must be query or queryAll"))
            parsed, rows = self._select(str(spec.get("query", "")))
            job_id = "750" + uuid.uuid4().hex[:12]
            job = {
                "id": job_id,
                "operation": spec["operation"],
                "object": parsed.sobject,
                "createdById": "005Qz0000000001",
                "createdDate": sf_datetime(self.now()),
                "systemModstamp": sf_datetime(self.now()),
                "state": "JobComplete",
                "concurrencyMode": "Parallel",
                "contentType": "CSV",
                "apiVersion": 62.0,
                "lineEnding": spec.get("lineEnding", "LF"),
                "columnDelimiter": spec.get("columnDelimiter", "COMMA"),
                "numberRecordsProcessed": len(rows),
            }
            self.jobs[job_id] = {"info": job, "fields": parsed.fields, "rows": rows}
            return 200, {**job, "state": "UploadComplete"}, {}
        if not parts or parts[0] not in self.jobs:
            raise Reply(404, _error("NOT_FOUND", "The requested resource does not exist"))
        job = self.jobs[parts[0]]
        if len(parts) == 1 and method == "GET":
            return 200, job["info"], {}
        if len(parts) == 2 and parts[1] == "results" and method == "GET":
            offset = int(query.get("locator") or 0)
            size = int(query.get("maxRecords") or 50000)
            rows = job["rows"][offset : offset + size]
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(job["fields"])
            for row in rows:
                writer.writerow(
                    [
                        "" if (v := soql.get_value(row, f)) is None else _csv(v)
                        for f in job["fields"]
                    ]
                )
            following = offset + size
            locator = str(following) if following < len(job["rows"]) else "null"
            return (
                200,
                out.getvalue(),
                {
                    "Content-Type": "text/csv",
                    "Sforce-Locator": locator,
                    "Sforce-NumberOfRecords": str(len(rows)),
                },
            )
        raise Reply(404, _error("NOT_FOUND", "The requested resource does not exist"))


def _csv(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        raise Reply(400, _error("JSON_PARSER_ERROR", "The request body is not JSON")) from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_state: FakeSalesforce

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        if payload is None:
            data = b""
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json;charset=UTF-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        state = self.server_state
        try:
            if url.path == "/services/oauth2/token" and self.command == "POST":
                form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
                status, payload = state.token(form)
                self._send(status, payload)
                return
            status, payload, headers = state.data(
                self.command, url.path, query, self.headers.get("Authorization", ""), body
            )
            self._send(status, payload, headers)
        except Reply as reply:
            self._send(reply.status, reply.body, reply.headers)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle


# --- generated data (bench, command line) ------------------------------------------------------

LEVELS = ("Priority", "Standard", "Priority", "Standard", "None")


def populate(fake: FakeSalesforce, *, accounts: int, contacts: int) -> list[str]:
    """Deterministic customer accounts and contacts (the bench's 100k/300k data set), last
    last modified one a second (contacts: a third) from two days ago, as in a real org: an
    incremental sync then sees what changes afterwards plus its overlap."""
    base = datetime.now(UTC) - timedelta(days=2)
    ids = []
    for n in range(accounts):
        fake.clock = base + timedelta(seconds=n)
        ids.append(
            fake.add(
                "Account",
                Name=f"Customer {n:06d}",
                Type="Customer",
                Owner={"Name": f"Owner {n % 50}"},
                ARR__c=float(1000 + n),
                Number_of_Seats__c=float(10 + n % 500),
                Market_Segment__c=("SMB", "Mid-Market", "Large")[n % 3],
                Support_Level__c=LEVELS[n % len(LEVELS)],
                Technical_Account_Manager_Email__c=None,
                Sales_Segmentation__c=("Commercial", "Enterprise")[n % 2],
                Product_Line__c=("Self-Managed", "SaaS")[n % 2],
                Domain__c=f"customer{n:06d}.example.com",
                Collaboration_Project_URL__c=None,
            )
        )
    per_account = max(1, contacts // max(1, accounts))
    made = 0
    for n, account_id in enumerate(ids):
        for k in range(per_account):
            if made >= contacts:
                break
            fake.clock = base + timedelta(seconds=made * 0.3)
            fake.add(
                "Contact",
                Email=f"contact{k}@customer{n:06d}.example.com",
                FirstName=f"First{k}",
                LastName=f"Last{n}",
                AccountId=account_id,
                Is_Sold_To__c=k == 0,
            )
            made += 1
    fake.clock = None
    return ids


def main() -> None:  # pragma: no cover - used by bench/bench_crm.py
    import argparse
    import os
    import sys
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--dir", default=tempfile.mkdtemp(prefix="fake-sf-"))
    args = parser.parse_args()
    fake = FakeSalesforce()
    populate(fake, accounts=args.accounts, contacts=args.contacts)
    fake.start(Path(args.dir))
    # One line the parent reads: where to connect and which CA to trust.
    print(json.dumps({"url": fake.url, "ca": fake.ca_path, "pid": os.getpid()}), flush=True)
    for line in sys.stdin:  # commands from the bench: "touch N" changes N accounts
        command = line.split()
        if command and command[0] == "touch":
            with fake.lock:
                for record_id in list(fake.records["Account"])[: int(command[1])]:
                    fake.update(
                        "Account", record_id, ARR__c=fake.get("Account", record_id)["ARR__c"] + 1
                    )
            print("ok", flush=True)
    fake.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
