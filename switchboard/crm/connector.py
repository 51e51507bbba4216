"""The Salesforce connector: OAuth client credentials, then the unmodified simple-salesforce client.

Configured from settings (read from the environment, docs/crm.md): ``SALESFORCE_URL`` (https),
``SALESFORCE_CLIENT_ID``, ``SALESFORCE_CLIENT_SECRET``, ``SALESFORCE_API_VERSION``. TLS is
verified by requests with the system store, or the bundle named by ``REQUESTS_CA_BUNDLE``.

simple-salesforce does not refresh a session it was handed, so every call goes through
``Connector.call``: an ``INVALID_SESSION_ID`` answer fetches a new token and repeats the call
once; ``REQUEST_LIMIT_EXCEEDED`` becomes ``RateLimited`` (the sync stops and resumes from its
watermark later).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

logger = logging.getLogger("switchboard.crm")
T = TypeVar("T")
TOKEN_TIMEOUT = 30.0


class CrmError(Exception):
    """Anything the connector could not do; the message says what and why."""


class NotConfigured(CrmError):
    pass


class RateLimited(CrmError):
    pass


@dataclass(frozen=True)
class ConnectorSettings:
    url: str
    client_id: str
    client_secret: str
    api_version: str

    @classmethod
    def from_settings(cls) -> ConnectorSettings:
        url = (getattr(settings, "SALESFORCE_URL", "") or "").rstrip("/")
        client_id = getattr(settings, "SALESFORCE_CLIENT_ID", "") or ""
        client_secret = getattr(settings, "SALESFORCE_CLIENT_SECRET", "") or ""
        version = getattr(settings, "SALESFORCE_API_VERSION", "") or "62.0"
        if not url:
            raise NotConfigured("SALESFORCE_URL is not set: the Salesforce connector is off.")
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
            raise NotConfigured(
                f"SALESFORCE_URL must be the instance's https URL, like "
                f"https://example.my.salesforce.com (got {url!r})."
            )
        if not client_id or not client_secret:
            raise NotConfigured(
                "SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET are required (the connected "
                "app's consumer key and secret)."
            )
        try:
            major, minor = version.split(".")
            int(major), int(minor)
        except ValueError:
            raise NotConfigured(
                f"SALESFORCE_API_VERSION must look like 62.0 (got {version!r})."
            ) from None
        return cls(url, client_id, client_secret, version)


def is_configured() -> bool:
    try:
        ConnectorSettings.from_settings()
    except NotConfigured:
        return False
    return True


class Connector:
    def __init__(self, config: ConnectorSettings | None = None) -> None:
        self.config = config or ConnectorSettings.from_settings()
        self.session = requests.Session()
        self.sf: Salesforce | None = None
        self.authentications = 0

    # --- session ---------------------------------------------------------------------------

    def authenticate(self) -> Salesforce:
        """Client-credentials token from /services/oauth2/token; a fresh client around it."""
        try:
            response = self.session.post(
                f"{self.config.url}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.config.client_id,
                    "client_secret": self.config.client_secret,
                },
                timeout=TOKEN_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise CrmError(f"Could not reach {self.config.url}: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            detail = body.get("error_description") or body.get("error") or response.text[:200]
            raise CrmError(f"Salesforce refused the client credentials: {detail}")
        self.authentications += 1
        self.sf = Salesforce(
            instance_url=body.get("instance_url") or self.config.url,
            session_id=body["access_token"],
            version=self.config.api_version,
            session=self.session,
        )
        return self.sf

    def client(self) -> Salesforce:
        return self.sf or self.authenticate()

    def call(self, func: Callable[[Salesforce], T]) -> T:
        """Run `func(client)`; re-authenticate once on an expired session."""
        try:
            try:
                return func(self.client())
            except SalesforceExpiredSession:
                logger.info("salesforce session expired; authenticating again")
                return func(self.authenticate())
        except SalesforceRefusedRequest as exc:
            if "REQUEST_LIMIT_EXCEEDED" in str(exc.content):
                raise RateLimited(f"Salesforce API limit reached: {_message(exc)}") from exc
            raise CrmError(f"Salesforce refused the request: {_message(exc)}") from exc
        except SalesforceError as exc:
            raise CrmError(f"Salesforce answered {exc.status}: {_message(exc)}") from exc
        except requests.RequestException as exc:
            raise CrmError(f"Could not reach Salesforce: {exc}") from exc

    # --- reads ------------------------------------------------------------------------------

    def query_pages(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """The records of `soql`, one REST batch (up to 2,000) at a time, via nextRecordsUrl."""
        page = self.call(lambda sf: sf.query(soql))
        while True:
            yield [_flatten(r) for r in page.get("records", [])]
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self.call(lambda sf, u=next_url: sf.query_more(u, identifier_is_url=True))

    def bulk_query(self, sobject: str, soql: str) -> Iterator[list[dict[str, Any]]]:
        """The records of `soql` through a Bulk API 2.0 query job, one CSV page at a time.

        Pages are fetched by their Sforce-Locator, so an expired session mid-download resumes
        at the same page with a new token instead of starting the job again.
        """
        job = self.call(lambda sf: getattr(sf.bulk2, sobject)._client.create_job("query", soql))
        self.call(lambda sf: getattr(sf.bulk2, sobject)._client.wait_for_job(job["id"], True, 0.05))
        # The next page downloads while the caller writes this one (one page ahead).
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._bulk_page, sobject, job["id"], "")
            while True:
                result = pending.result()
                locator = result["locator"]
                if locator:
                    pending = pool.submit(self._bulk_page, sobject, job["id"], locator)
                yield _csv_records(result["records"])
                if not locator:
                    return

    def _bulk_page(self, sobject: str, job_id: str, locator: str) -> dict[str, Any]:
        return self.call(
            lambda sf: getattr(sf.bulk2, sobject)._client.get_query_results(job_id, locator, 50000)
        )

    def changed(self, sobject: str, kind: str, start: datetime, end: datetime) -> dict[str, Any]:
        """GET sobjects/<object>/updated|deleted/?start=&end= (the replication API)."""
        if kind not in ("updated", "deleted"):
            raise ValueError(kind)
        return self.call(lambda sf: getattr(getattr(sf, sobject), kind)(start, end))

    def limits(self) -> dict[str, Any]:
        return self.call(lambda sf: sf.limits())

    def api_usage(self) -> str:
        usage = self.sf.api_usage.get("api-usage") if self.sf else None
        return f"{usage.used}/{usage.total}" if usage else ""

    # --- writes -----------------------------------------------------------------------------

    def upsert_many(
        self, sobject: str, external_field: str, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """PATCH composite/sobjects/<object>/<field> (up to 200 records, all or none)."""
        body = {
            "allOrNone": True,
            "records": [{"attributes": {"type": sobject}, **r} for r in records],
        }
        return self.call(
            lambda sf: sf.restful(
                f"composite/sobjects/{sobject}/{external_field}", method="PATCH", json=body
            )
        )


def _message(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode')}: {content[0].get('message')}"
    return str(content)[:300]


def _csv_records(text: str) -> list[dict[str, Any]]:
    """Records of a Bulk API CSV page: header row, then one row per record; "" is null (Bulk
    API 2.0 writes nulls as empty fields). Blank lines are skipped; a short row lacks its last
    fields (read as missing, i.e. null) and a long row's extra fields are dropped."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return []
    return [
        dict(zip(header, [v if v != "" else None for v in row], strict=False))
        for row in reader
        if row
    ]


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """REST records nest relationships ({"Owner": {"Name": …}}); flatten them to "Owner.Name"."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                if sub != "attributes":
                    out[f"{key}.{sub}"] = sub_value
        else:
            out[key] = value
    return out
