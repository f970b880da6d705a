"""One HTTPS client for the live sources: TLS with a private CA, rate limits honoured, failures retried then named."""

from __future__ import annotations

import ipaddress
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

RETRIES = 5  # network failures and 5xx answers: tried this many times more, backing off 0.5, 1, 2, 4, 8 s
THROTTLED_IN_A_ROW = 30  # 429 answers to one request before the sync gives up
LONGEST_WAIT = 900.0  # seconds: a Retry-After beyond this ends the sync with the wait named, rather than hang
TIMEOUT = httpx.Timeout(60.0, connect=15.0)
MAX_RESPONSE_BYTES = 256 * 2**20  # a page larger than this is refused, not read: 10,000 records are a few MB


class SyncError(Exception):
    """A sync failed (network, server, protocol): nothing was stored."""


class SyncUsageError(SyncError):
    """A sync cannot start or was refused as asked (credentials, URL, CA bundle): exit 2, nothing stored."""


def checked_url(url: str, option: str) -> str:
    """Return the URL without a trailing slash; raise SyncUsageError unless https:// (http:// only on loopback)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SyncUsageError(f"{option} {url!r} is not a URL: give https://HOST")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise SyncUsageError(
            f"{option} {url!r}: only https:// is accepted (http:// only for a server on this machine's loopback), "
            "so that credentials never cross a network in clear"
        )
    if parts.query or parts.fragment:
        raise SyncUsageError(f"{option} {url!r}: give the instance's address alone, without ?query or #fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def retry_after(value: str | None, attempt: int) -> float:
    """Return the seconds a 429 answer asks to wait: Retry-After in seconds or as an HTTP date, else backing off."""
    if value:
        text = value.strip()
        if text.isdigit():
            return float(text)
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return min(2.0**attempt, 60.0)


class Http:
    """An httpx client bound to one source: counts requests, 429 answers and the time waited for them."""

    def __init__(
        self,
        base_url: str,
        label: str,
        *,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        ca_bundle: Path | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        self.label = label
        self.sleep = sleep or time.sleep
        self.requests = 0
        self.throttled = 0
        self.waited = 0.0
        verify: ssl.SSLContext | bool = True
        if ca_bundle is not None:
            try:
                verify = ssl.create_default_context(cafile=str(ca_bundle))
            except (OSError, ssl.SSLError) as exc:
                raise SyncUsageError(f"--ca-bundle {ca_bundle}: not a readable PEM certificate file ({exc})") from None
        self.client = httpx.Client(
            base_url=base_url, auth=auth, headers=headers, verify=verify, timeout=TIMEOUT, follow_redirects=False
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        """Return a 2xx response; wait out 429s, retry network failures and 5xx, raise SyncError for the rest."""
        failures = 0
        throttled = 0
        while True:
            self.requests += 1
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if "CERTIFICATE_VERIFY_FAILED" in str(exc):  # retrying cannot help: the certificate is not trusted
                    raise SyncUsageError(f"{self.label}: {_reason(exc)}") from None
                failures += 1
                if failures > RETRIES:
                    raise SyncError(
                        f"{self.label}: cannot reach {self.client.base_url}: {_reason(exc)} "
                        f"(tried {failures} times over about {2 ** (RETRIES - 1):.0f} s of back-off)"
                    ) from None
                self._wait(0.5 * 2 ** (failures - 1))
                continue
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
                raise SyncError(f"{self.label}: {method} {response.url.path} answered {int(length):,} bytes, more "
                                f"than the {MAX_RESPONSE_BYTES:,} a page may hold: lower --page-size")  # fmt: skip
            if response.status_code == 429:
                throttled += 1
                self.throttled += 1
                if throttled > THROTTLED_IN_A_ROW:
                    raise SyncError(f"{self.label}: the server answered 429 Too Many Requests {throttled} times in a "
                                    "row: try again later")  # fmt: skip
                wait = retry_after(response.headers.get("Retry-After"), throttled)
                if wait > LONGEST_WAIT:
                    raise SyncError(f"{self.label}: the server asks to wait {wait:,.0f} s before the next request "
                                    "(Retry-After): sync again after that")  # fmt: skip
                self._wait(wait)
                continue
            if response.status_code >= 500:
                failures += 1
                if failures > RETRIES:
                    raise SyncError(f"{self.label}: {method} {response.url.path} answered HTTP "
                                    f"{response.status_code} {failures} times: {_body(response)}")  # fmt: skip
                self._wait(0.5 * 2 ** (failures - 1))
                continue
            return response

    def _wait(self, seconds: float) -> None:
        self.waited += seconds
        self.sleep(seconds)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"{text} (a private CA or a self-signed certificate: give it with --ca-bundle FILE)"
    return text


def _body(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:300] + ("..." if len(text) > 300 else "")
