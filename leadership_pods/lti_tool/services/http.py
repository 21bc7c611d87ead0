"""The HTTP layer every LTI Advantage service call goes through.

One place decides what a platform's answer means:

- 2xx is returned;
- 401 on a service call: the access token is dropped and the call made once more with
  a fresh one (tokens are cached, and a platform may revoke one early);
- 429 and 503: the platform asked us to wait. ``Retry-After`` (seconds or an HTTP date)
  is honoured up to a cap, with exponential backoff when it is absent, a bounded number
  of times; a longer wait is handed back to the caller as ``retry_after``;
- network errors and other 5xx raise a retryable :class:`PlatformServiceError`;
- other 4xx raise a final one carrying the LMS's own message.

URLs the platform gave (``Link: rel="next"``, line item ids) are sent exactly as given:
requests would otherwise re-quote them (``%7E`` becomes ``~``), and a cursor the
platform signed may then no longer match. Access tokens are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol

import requests

from ..errors import PlatformServiceError

if TYPE_CHECKING:  # tokens.py uses this module's send()
    from .tokens import PlatformEndpoints

log = logging.getLogger(__name__)

#: used only when the caller's session still carries requests' own User-Agent
FALLBACK_USER_AGENT = "LeadershipPods (LTI 1.3 tool)"
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.I)
MAX_PAGES = 1000

Sleep = Callable[[float], None]


class AccessTokens(Protocol):
    """What the HTTP layer needs of :class:`~.tokens.TokenService`."""

    def access_token(self, platform: PlatformEndpoints, scopes: Sequence[str]) -> str: ...

    def invalidate(self, platform: PlatformEndpoints, scopes: Sequence[str],
                   token: str | None = None) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to wait when a platform answers 429 or 503."""

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    #: the longest wait spent in-process; a longer Retry-After goes back to the caller
    max_retry_after: float = 30.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_max, self.backoff_base * (2**attempt)))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def next_link(response: requests.Response) -> str | None:
    """The ``rel="next"`` target of a response's ``Link`` header, exactly as given."""
    header = response.headers.get("Link")
    if not header:
        return None
    for target, params in _LINK.findall(header):
        for rel in _REL.finditer(params):
            if "next" in (rel.group(1) or rel.group(2) or "").lower().split():
                return str(target.strip())
    return None


def lms_message(response: requests.Response, limit: int = 500) -> str:
    """The platform's own explanation of a refusal: JSON error fields, else the text."""
    parts: list[str] = []
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        for key in ("error", "error_description", "message", "reason", "detail"):
            if isinstance(data.get(key), str):
                parts.append(data[key])
        errors = data.get("errors")
        for item in errors if isinstance(errors, list) else [errors]:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, Mapping) and isinstance(item.get("message"), str):
                parts.append(item["message"])
    text = ": ".join(dict.fromkeys(p.strip() for p in parts if p.strip()))
    if not text:
        text = " ".join(response.text.split()) or response.reason or "no explanation"
    return text[:limit]


def user_agent_headers(http: requests.Session) -> dict[str, str]:
    """Keep the session's User-Agent (the app sets one); replace requests' default."""
    agent = str(http.headers.get("User-Agent") or "")
    if not agent or agent.startswith("python-requests/"):
        return {"User-Agent": FALLBACK_USER_AGENT}
    return {}


def _exact(prepared: requests.PreparedRequest, url: str) -> None:
    """Undo requests' re-quoting, so a platform's URL goes out as the platform wrote it."""
    if url.isascii() and not any(c.isspace() for c in url) and "#" not in url:
        prepared.url = url


def send(http: requests.Session, method: str, url: str, *, headers: Mapping[str, str],
         timeout: float, data: bytes | Mapping[str, str] | None = None,
         retry: RetryPolicy, sleep: Sleep, passthrough: frozenset[int] = frozenset(),
         what: str = "platform service") -> requests.Response:
    """One call with the 429/503 policy; a status in ``passthrough`` is returned as is."""
    attempt = 0
    while True:
        request = requests.Request(method, url, headers={**user_agent_headers(http), **headers},
                                   data=data)
        prepared = http.prepare_request(request)
        _exact(prepared, url)
        settings = http.merge_environment_settings(prepared.url, {}, None, None, None)
        try:
            response = http.send(prepared, timeout=timeout, **settings)
        except requests.Timeout as exc:
            raise PlatformServiceError(
                f"{what}: {method} {url} timed out after {timeout:g}s", retryable=True
            ) from exc
        except requests.RequestException as exc:
            raise PlatformServiceError(
                f"{what}: {method} {url} failed ({exc.__class__.__name__})", retryable=True
            ) from exc
        status = response.status_code
        if status < 300 or status in passthrough:
            return response
        if status in (429, 503):
            wait = parse_retry_after(response.headers.get("Retry-After"))
            delay = retry.backoff(attempt) if wait is None else wait
            if attempt < retry.max_retries and delay <= retry.max_retry_after:
                log.warning("%s: %s %s answered %d; retrying in %.1fs (%d/%d)", what, method,
                            url, status, delay, attempt + 1, retry.max_retries)
                sleep(delay)
                attempt += 1
                continue
            raise PlatformServiceError(
                f"{what}: {method} {url} answered {status} (busy): {lms_message(response)}",
                http_status=status, retryable=True, retry_after=wait,
            )
        raise error_for(response, method, url, what=what)


def error_for(response: requests.Response, method: str, url: str, *,
              what: str = "platform service") -> PlatformServiceError:
    """The error for a refusal: 5xx retryable, 4xx final, with the LMS's message."""
    status = response.status_code
    return PlatformServiceError(
        f"{what}: {method} {url} answered {status}: {lms_message(response)}",
        http_status=status, retryable=status >= 500,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


class ServiceHttp:
    """Authorised calls to a platform's LTI Advantage services (AGS, NRPS)."""

    def __init__(self, tokens: AccessTokens, http: requests.Session, *, timeout: float,
                 retry: RetryPolicy | None = None, sleep: Sleep = time.sleep) -> None:
        self.tokens = tokens
        self.http = http
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    def request(self, platform: PlatformEndpoints, scopes: Sequence[str], method: str,
                url: str, *, accept: str, content_type: str | None = None,
                body: Any = None) -> requests.Response:
        """Call ``url`` with a bearer token for ``scopes``; JSON ``body`` if given."""
        data = None if body is None else json.dumps(body).encode()
        what = f"platform {platform.platform_id}"
        retried_401 = False
        while True:
            token = self.tokens.access_token(platform, scopes)
            headers = {"Accept": accept, "Authorization": f"Bearer {token}"}
            if content_type:
                headers["Content-Type"] = content_type
            response = send(self.http, method, url, headers=headers, data=data,
                            timeout=self.timeout, retry=self.retry, sleep=self.sleep,
                            passthrough=frozenset({401}), what=what)
            if response.status_code != 401:
                return response
            self.tokens.invalidate(platform, scopes, token)
            if retried_401:
                raise error_for(response, method, url, what=what)
            log.info("%s refused a cached token on %s %s; fetching a new one", what, method, url)
            retried_401 = True

    def get_json(self, platform: PlatformEndpoints, scopes: Sequence[str], url: str, *,
                 accept: str) -> tuple[Any, requests.Response]:
        response = self.request(platform, scopes, "GET", url, accept=accept)
        return self.json_of(response, url), response

    def pages(self, platform: PlatformEndpoints, scopes: Sequence[str], url: str, *,
              accept: str) -> Iterator[Any]:
        """The JSON of each page, following ``Link: <…>; rel="next"`` as given."""
        seen: set[str] = set()
        next_url: str | None = url
        while next_url is not None:
            if next_url in seen or len(seen) >= MAX_PAGES:
                raise PlatformServiceError(
                    f"paging through {url} does not end (revisited {next_url})"
                )
            seen.add(next_url)
            document, response = self.get_json(platform, scopes, next_url, accept=accept)
            yield document
            next_url = next_link(response)

    @staticmethod
    def json_of(response: requests.Response, url: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise PlatformServiceError(
                f"{url} answered {response.status_code} with a body that is not JSON",
                http_status=response.status_code,
            ) from exc
