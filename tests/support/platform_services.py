"""A fake-but-honest platform's LTI Advantage services: OAuth2 tokens, AGS and NRPS.

A WSGI app (``PlatformServices(...)``) to serve on its own through ``LocalServer`` or
mounted on a ``TestPlatform`` (``services.mount(platform)``). It checks what Canvas and
Moodle check (../shared/fixtures/README.md) and refuses the way they do:

- ``/token``: the client assertion's RS256 signature against the JWKS it was given,
  ``iss = sub = client_id``, ``aud`` (the token URL unless told otherwise), ``exp``, a
  fresh ``jti``; ``grant_type=client_credentials``; issues bearer tokens with
  ``expires_in`` and counts requests;
- AGS line items, ``/scores`` and ``/results`` at Canvas-style URLs, or Moodle-style ones
  that carry ``?type_id=1`` (required); scores need the score scope, the score media
  type, ``scoreMaximum`` with ``scoreGiven``, a timestamp not older than the stored one
  (400), and a ``userId`` that is a student (422);
- NRPS memberships (full role URIs in Canvas rosters, short names in Moodle's).

Lists are paged with ``Link: <…>; rel="next"`` whose cursor carries percent-escapes: a
client that re-encodes the URL gets 400. Every call is recorded (``calls``) with its
headers and body; ``inject()`` queues forced answers (status, Retry-After, delay).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from werkzeug.wrappers import Request, Response

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY = AGS + "lineitem", AGS + "lineitem.readonly"
SCOPE_RESULT_READONLY, SCOPE_SCORE = AGS + "result.readonly", AGS + "score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ALL_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE,
              SCOPE_NRPS)
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"

_ROUTES = {
    "canvas": [
        ("lineitems", r"/api/lti/courses/(?P<c>[^/]+)/line_items"),
        ("lineitem", r"/api/lti/courses/(?P<c>[^/]+)/line_items/(?P<n>\d+)"),
        ("scores", r"/api/lti/courses/(?P<c>[^/]+)/line_items/(?P<n>\d+)/scores"),
        ("results", r"/api/lti/courses/(?P<c>[^/]+)/line_items/(?P<n>\d+)/results"),
        ("memberships", r"/api/lti/courses/(?P<c>[^/]+)/names_and_roles"),
    ],
    "moodle": [
        ("lineitems", r"/mod/lti/services\.php/(?P<c>[^/]+)/lineitems"),
        ("lineitem", r"/mod/lti/services\.php/(?P<c>[^/]+)/lineitems/(?P<n>\d+)/lineitem"),
        ("scores", r"/mod/lti/services\.php/(?P<c>[^/]+)/lineitems/(?P<n>\d+)/lineitem/scores"),
        ("results",
         r"/mod/lti/services\.php/(?P<c>[^/]+)/lineitems/(?P<n>\d+)/lineitem/results"),
        ("memberships",
         r"/mod/lti/services\.php/CourseSection/(?P<c>[^/]+)/bindings/1/memberships"),
    ],
}


@dataclass
class Fault:
    status: int | None = None
    endpoint: str | None = None  # token, lineitems, lineitem, scores, results, memberships
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    delay: float = 0.0
    times: int = 1


@dataclass
class Call:
    endpoint: str
    method: str
    raw_uri: str
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class LineItemRecord:
    number: int
    label: str
    score_maximum: float
    resource_link_id: str | None = None
    resource_id: str | None = None
    tag: str | None = None
    timestamps: dict[str, datetime] = field(default_factory=dict)
    results: dict[str, tuple[float, float, str | None]] = field(default_factory=dict)


def _json(data: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(data), status=status, mimetype=mimetype)


def _error(status: int, message: str, kind: str = "bad_request") -> Response:
    return _json({"errors": {"type": kind, "message": message}}, status)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return _json({"error": error, "error_description": description}, status)


class PlatformServices:
    """The service endpoints of one platform registration (see the module docstring)."""

    def __init__(self, *, client_id: str,
                 jwks: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
                 shape: str = "canvas", course_id: str = "311", token_lifetime: int = 3600,
                 page_size: int = 2, audience: str | None = None,
                 allowed_scopes: Sequence[str] = ALL_SCOPES) -> None:
        self.client_id = client_id
        self.jwks = jwks
        self.shape = shape
        self.course_id = course_id
        self.token_lifetime = token_lifetime
        self.page_size = page_size
        self.audience = audience
        self.allowed_scopes = set(allowed_scopes)
        self.base_url = ""  # set when served
        self.clock: Callable[[], float] = time.time
        self.token_requests = 0
        self.assertions: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (header, claims)
        self.grants: dict[str, tuple[frozenset[str], float]] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.line_items: dict[int, LineItemRecord] = {}
        self.members: list[dict[str, Any]] = []
        self._jtis: set[str] = set()
        self._cursors: dict[str, int] = {}
        self._lock = threading.RLock()

    # -- set-up and inspection ---------------------------------------------------------
    def mount(self, platform: Any) -> PlatformServices:
        """Serve behind a ``TestPlatform`` (its unknown paths come here)."""
        platform.services = self
        self.base_url = platform.base_url
        return self

    @property
    def _prefix(self) -> str:
        if self.shape == "moodle":
            return f"{self.base_url}/mod/lti/services.php/{self.course_id}"
        return f"{self.base_url}/api/lti/courses/{self.course_id}"

    @property
    def _query(self) -> str:
        return "?type_id=1" if self.shape == "moodle" else ""

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    @property
    def lineitems_url(self) -> str:
        return f"{self._prefix}/lineitems{self._query}" if self.shape == "moodle" else (
            f"{self._prefix}/line_items")

    def lineitem_url(self, number: int) -> str:
        if self.shape == "moodle":
            return f"{self._prefix}/lineitems/{number}/lineitem{self._query}"
        return f"{self._prefix}/line_items/{number}"

    @property
    def memberships_url(self) -> str:
        if self.shape == "moodle":
            return (f"{self.base_url}/mod/lti/services.php/CourseSection/{self.course_id}"
                    "/bindings/1/memberships")
        return f"{self._prefix}/names_and_roles"

    def add_member(self, user_id: str, roles: Sequence[str] = ("Learner",),
                   status: str = "Active", **fields: str) -> dict[str, Any]:
        """A roster entry; Canvas rosters carry full role URIs, Moodle's short names."""
        if self.shape != "moodle":
            roles = [r if "/" in r else MEMBERSHIP + r for r in roles]
        member = {"user_id": user_id, "roles": list(roles), "status": status, **fields}
        self.members.append(member)
        return member

    def is_student(self, user_id: str) -> bool:
        return any(m["user_id"] == user_id and m["status"] == "Active"
                   and any(r.split("#")[-1] == "Learner" for r in m["roles"])
                   for m in self.members)

    def add_line_item(self, label: str, score_maximum: float, **fields: Any) -> str:
        """A line item already in the gradebook; returns its URL."""
        number = len(self.line_items) + 1
        self.line_items[number] = LineItemRecord(number, label, score_maximum, **fields)
        return self.lineitem_url(number)

    def inject(self, status: int | None = None, *, endpoint: str | None = None,
               headers: Mapping[str, str] | None = None, body: str = "", delay: float = 0.0,
               times: int = 1) -> None:
        """Queue a forced answer (or a delay before the real one) for the next matching call."""
        with self._lock:
            self.faults.append(Fault(status, endpoint, dict(headers or {}), body, delay, times))

    def revoke_tokens(self) -> None:
        with self._lock:
            self.grants.clear()

    def calls_to(self, endpoint: str) -> list[Call]:
        return [c for c in self.calls if c.endpoint == endpoint]

    # -- WSGI ----------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        endpoint, params = self._route(request.path)
        raw_uri = request.path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING")
                                  else "")
        body: Any = request.form.to_dict() if endpoint == "token" else request.get_data(
            as_text=True)
        call = Call(endpoint, request.method, raw_uri, dict(request.headers), body)
        with self._lock:
            self.calls.append(call)
            fault = self._take_fault(endpoint)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            response = Response(fault.body, status=fault.status, headers=fault.headers)
        else:
            with self._lock:
                response = self._dispatch(endpoint, params, request)
        call.status = response.status_code
        return response(environ, start_response)

    def _route(self, path: str) -> tuple[str, dict[str, str]]:
        if path == "/token":
            return "token", {}
        for endpoint, pattern in _ROUTES[self.shape]:
            if match := re.fullmatch(pattern, path):
                return endpoint, match.groupdict()
        return "unknown", {}

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in self.faults:
            if fault.endpoint in (None, endpoint):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _dispatch(self, endpoint: str, params: dict[str, str], request: Request) -> Response:
        if endpoint == "unknown" or params.get("c", self.course_id) != self.course_id:
            return _error(404, f"no such service: {request.path}", "not_found")
        if not request.headers.get("User-Agent", "").strip():
            return _error(400, "a User-Agent header is required")
        if endpoint == "token":
            return self._token(request)
        # Moodle's AGS URLs carry the tool type; its NRPS URL has it in the path instead
        if (self.shape == "moodle" and endpoint != "memberships"
                and request.args.get("type_id") != "1"):
            return Response("Incorrect type_id / No type_id given", status=400)
        handler, method = {
            "lineitems": (self._lineitems, None), "lineitem": (self._lineitem, "GET"),
            "scores": (self._scores, "POST"), "results": (self._results, "GET"),
            "memberships": (self._memberships, "GET"),
        }[endpoint]
        if method is not None and request.method != method:
            return _error(405, f"{request.method} is not allowed here", "method_not_allowed")
        item = None
        if "n" in params:
            item = self.line_items.get(int(params["n"]))
            if item is None:
                return _error(404, "The specified resource does not exist.", "not_found")
        return handler(request, item)

    # -- OAuth2 token endpoint -------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return _oauth_error(405, "invalid_request", "POST only")
        self.token_requests += 1
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "grant_type must be "
                                "client_credentials")
        if form.get("client_assertion_type") != JWT_BEARER:
            return _oauth_error(400, "invalid_request", "client_assertion_type must be "
                                + JWT_BEARER)
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            jwks = self.jwks() if callable(self.jwks) else self.jwks
            keys = {k.get("kid"): k for k in jwks.get("keys", [])}
            if header.get("alg") != "RS256" or header.get("kid") not in keys:
                return _oauth_error(401, "invalid_client", "unknown kid or algorithm")
            claims = jwt.decode(
                assertion, jwt.PyJWK(keys[header["kid"]]).key, algorithms=["RS256"],
                audience=self.audience or request.base_url,
                options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
            )
        except jwt.PyJWTError as exc:
            return _oauth_error(401, "invalid_client", f"client assertion refused: {exc}")
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
            return _oauth_error(401, "invalid_client", "iss and sub must be the client id")
        if claims["exp"] - claims["iat"] > 3600 or claims["jti"] in self._jtis:
            return _oauth_error(400, "invalid_grant", "assertion too long-lived or replayed")
        self._jtis.add(claims["jti"])
        self.assertions.append((header, claims))
        granted = frozenset(form.get("scope", "").split()) & self.allowed_scopes
        if not granted:
            return _oauth_error(400, "invalid_scope", "none of the requested scopes is allowed")
        token = secrets.token_urlsafe(24)
        self.grants[token] = (granted, self.clock() + self.token_lifetime)
        return _json({"access_token": token, "token_type": "Bearer",
                      "expires_in": self.token_lifetime, "scope": " ".join(sorted(granted))})

    def _refuse_bearer(self, request: Request, *scopes: str) -> Response | None:
        """None if the bearer token is valid and has one of ``scopes``; else the refusal."""
        auth = request.headers.get("Authorization", "")
        grant = self.grants.get(auth[7:]) if auth.startswith("Bearer ") else None
        if grant is None or grant[1] <= self.clock():
            response = _error(401, "Invalid access token", "unauthorized")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        if not grant[0] & set(scopes):
            return _error(403, "Insufficient scopes on access token", "insufficient_scope")
        return None

    # -- paging ------------------------------------------------------------------------------
    def _page(self, request: Request, entries: list[Any]) -> tuple[list[Any], str | None]:
        """One page of ``entries``, and the Link header (cursor with percent-escapes)."""
        raw = request.environ.get("QUERY_STRING", "")
        parts = [p for p in raw.split("&") if p]
        cursor = next((p[7:] for p in parts if p.startswith("cursor=")), None)
        start = 0
        if cursor is not None:
            if cursor not in self._cursors:
                raise _Refusal(_error(400, f"unknown page cursor {cursor!r} (was the Link URL "
                                      "re-encoded?)"))
            start = self._cursors[cursor]
        size = int(request.args.get("limit") or self.page_size)
        page = entries[start:start + size]
        if start + size >= len(entries):
            return page, None
        new = f"c%7E{start + size}%2F{secrets.token_hex(3)}%3D"
        self._cursors[new] = start + size
        kept = "&".join(p for p in parts if not p.startswith("cursor="))
        base = f"{request.host_url.rstrip('/')}{request.path}?{kept + '&' if kept else ''}"
        link = f'<{base}cursor={new}>; rel="next"'
        if self.shape != "moodle":  # Canvas also sends current/first/last
            first = base.rstrip("&?")
            link = f'<{request.url}>; rel="current",{link},<{first}>; rel="first"'
        return page, link

    def _paged(self, request: Request, entries: list[Any], mimetype: str,
               wrap: Callable[[list[Any]], Any] = lambda page: page) -> Response:
        try:
            page, link = self._page(request, entries)
        except _Refusal as refusal:
            return refusal.response
        response = _json(wrap(page), mimetype=mimetype)
        if link:
            response.headers["Link"] = link
        return response

    # -- AGS -------------------------------------------------------------------------------
    def _item_json(self, item: LineItemRecord) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.lineitem_url(item.number), "label": item.label,
                                "scoreMaximum": item.score_maximum}
        for key, value in (("resourceLinkId", item.resource_link_id),
                           ("resourceId", item.resource_id), ("tag", item.tag)):
            if value is not None:
                data[key] = value
        return data

    def _lineitems(self, request: Request, _item: LineItemRecord | None) -> Response:
        if request.method == "POST":
            if refusal := self._refuse_bearer(request, SCOPE_LINEITEM):
                return refusal
            if request.mimetype != LINEITEM_TYPE:
                return _error(415, f"Content-Type must be {LINEITEM_TYPE}")
            data = json.loads(request.get_data(as_text=True) or "null")
            maximum = data.get("scoreMaximum") if isinstance(data, dict) else None
            if not isinstance(maximum, int | float) or maximum <= 0 or not data.get("label"):
                return _error(400, "label and a positive scoreMaximum are required")
            self.add_line_item(data["label"], maximum, resource_link_id=data.get(
                "resourceLinkId"), resource_id=data.get("resourceId"), tag=data.get("tag"))
            return _json(self._item_json(self.line_items[len(self.line_items)]),
                         201 if self.shape == "moodle" else 200, LINEITEM_TYPE)
        # Moodle wants the read-only scope named explicitly for a GET
        read = (SCOPE_LINEITEM_READONLY,) if self.shape == "moodle" else (
            SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
        if refusal := self._refuse_bearer(request, *read):
            return refusal
        items = [self._item_json(i) for i in self.line_items.values()
                 if all(request.args.get(arg) in (None, getattr(i, attr)) for arg, attr in
                        (("resource_link_id", "resource_link_id"),
                         ("resource_id", "resource_id"), ("tag", "tag")))]
        return self._paged(request, items, CONTAINER_TYPE)

    def _lineitem(self, request: Request, item: LineItemRecord | None) -> Response:
        assert item is not None
        if refusal := self._refuse_bearer(request, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY):
            return refusal
        return _json(self._item_json(item), mimetype=LINEITEM_TYPE)

    def _scores(self, request: Request, item: LineItemRecord | None) -> Response:
        assert item is not None
        if refusal := self._refuse_bearer(request, SCOPE_SCORE):
            return refusal
        if request.mimetype != SCORE_TYPE:
            return _error(415, f"Content-Type must be {SCORE_TYPE}")
        try:
            score = json.loads(request.get_data(as_text=True))
            stamp = datetime.fromisoformat(score["timestamp"])
            user_id = str(score["userId"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "a score needs userId and an ISO 8601 timestamp")
        if stamp.tzinfo is None:
            return _error(400, "the timestamp needs a time zone")
        if score.get("activityProgress") is None or score.get("gradingProgress") is None:
            return _error(400, "activityProgress and gradingProgress are required")
        if "scoreGiven" in score and "scoreMaximum" not in score:
            return _error(400, "ScoreMaximum must be present when ScoreGiven is present")
        if not self.is_student(user_id):
            return _error(422, "User not found in course or is not a student",
                          "unprocessable_entity")
        previous = item.timestamps.get(user_id)
        if previous is not None and stamp < previous:
            return _error(400, f"Provided timestamp of {score['timestamp']} before last updated "
                               f"timestamp of {previous.isoformat()}")
        item.timestamps[user_id] = stamp
        if score["gradingProgress"] in ("FullyGraded", "PendingManual") and (
                score.get("scoreGiven") is not None):
            item.results[user_id] = (float(score["scoreGiven"]), float(score["scoreMaximum"]),
                                     score.get("comment"))
        if self.shape == "moodle":
            return Response("", status=200)
        return _json({"resultUrl": f"{self.lineitem_url(item.number)}/results/{user_id}"})

    def _results(self, request: Request, item: LineItemRecord | None) -> Response:
        assert item is not None
        if refusal := self._refuse_bearer(request, SCOPE_RESULT_READONLY):
            return refusal
        wanted = request.args.get("user_id")
        results = [
            {"id": f"{self.lineitem_url(item.number)}/results/{user}", "userId": user,
             "scoreOf": self.lineitem_url(item.number),
             # the platform keeps the grade on its own scale (Moodle: 7/10 -> 70/100)
             "resultScore": round(given / maximum * item.score_maximum, 4),
             "resultMaximum": item.score_maximum,
             **({"comment": comment} if comment else {})}
            for user, (given, maximum, comment) in item.results.items()
            if wanted in (None, user)
        ]
        return self._paged(request, results, RESULTS_TYPE)

    # -- NRPS ------------------------------------------------------------------------------
    def _memberships(self, request: Request, _item: LineItemRecord | None) -> Response:
        if refusal := self._refuse_bearer(request, SCOPE_NRPS):
            return refusal
        context = {"id": self.course_id, "label": "LEAD-101", "title": "Leadership"}
        return self._paged(request, list(self.members), MEMBERS_TYPE, lambda page: {
            "id": request.url, "context": context, "members": page})


class _Refusal(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response
