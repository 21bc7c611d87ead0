"""A test LMS that frames the tool, for browser tests.

It plays the browser-facing half of a real LMS on its own site (``127.0.0.1``) while
the tool runs on another (``localhost``), so Chromium treats the framed tool as
cross-site, as it does under a real Moodle or Canvas:

- a course page with a link to the activity, and the activity page that frames the
  tool (``tool_content``) and starts its OIDC login with an auto-submitted form POST,
  as Moodle's ``mod/lti/launch.php`` does;
- ``/authorize``: the OIDC authentication endpoint. It checks the tool's request and
  answers with an auto-submitted form POSTing a signed ``id_token`` and ``state`` to
  the tool's redirect URI (``response_mode=form_post``);
- ``/jwks``: the platform's key set (from :class:`TestPlatform`);
- with ``platform_storage=True``, a hidden frame (``lti_storage_frame``) on the LMS
  origin that answers Canvas's ``lti.put_data`` / ``lti.get_data`` postMessages, and
  ``lti_storage_target`` naming it in the login initiation.

Keys, signing and the claims' shape come from :class:`tests.support.platform.TestPlatform`.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from werkzeug.wrappers import Request, Response

from tests.support.platform import LTI, TestPlatform

COURSE_PATH = "/course/view.php"
ACTIVITY_PATH = "/mod/lti/view.php"
LAUNCH_PATH = "/mod/lti/launch.php"
STORAGE_PATH = "/lti/storage_frame"
TOOL_FRAME = "tool_content"
STORAGE_FRAME = "lti_storage_frame"
LOGIN_HINT = "4"
ACTIVITY_TITLE = "Budget Balancing pod"
COURSE_TITLE = "Chief Residents' Leadership Curriculum"


def _page(title: str, body: str, script: str = "") -> Response:
    text = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
            f"<body>{body}{f'<script>{script}</script>' if script else ''}</body></html>")
    response = Response(text, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


_CSS = ("body{margin:0;font-family:sans-serif}header{background:#f98012;color:#fff;"
        "padding:.4rem .8rem}main{padding:.5rem}"
        "iframe#tool_content{width:100%;height:640px;border:1px solid #ccc}")


def _auto_post(action: str, fields: Mapping[str, str], title: str) -> Response:
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return _page(title, f'<form id="f" method="post" action="{html.escape(action)}">{inputs}'
                        '<noscript><button>Continue</button></noscript></form>',
                 "document.getElementById('f').submit();")


# The platform-storage frame: Canvas's lti.put_data / lti.get_data handlers. Values are
# kept per sending origin (a tool reads back only what its own origin stored), only the
# tool's registered origin is answered, and each answer goes to event.source with
# targetOrigin = event.origin, carrying the request's message_id and key.
_STORAGE_JS = """
(function () {
  var TOOL_ORIGIN = %(tool_origin)s;
  var store = {};
  window.__messages = [];
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.subject !== "string") { return; }
    if (data.subject !== "lti.put_data" && data.subject !== "lti.get_data") { return; }
    var entry = { subject: data.subject, key: data.key, origin: event.origin,
                  message_id: data.message_id, answered: false };
    window.__messages.push(entry);
    if (event.origin !== TOOL_ORIGIN || !event.source) { return; }
    var bucket = store[event.origin] = store[event.origin] || {};
    var reply = { message_id: data.message_id, key: data.key };
    if (data.subject === "lti.put_data") {
      reply.subject = "lti.put_data.response";
      if (typeof data.key !== "string" || typeof data.value === "undefined") {
        reply.error = { code: "bad_request", message: "key and value are required" };
      } else {
        bucket[data.key] = data.value;
        reply.value = data.value;
      }
    } else {
      reply.subject = "lti.get_data.response";
      if (Object.prototype.hasOwnProperty.call(bucket, data.key)) {
        reply.value = bucket[data.key];
      } else {
        reply.error = { code: "bad_request", message: "no value stored under that key" };
      }
    }
    entry.answered = true;
    event.source.postMessage(reply, event.origin);
  });
})();
"""


@dataclass
class AuthRequest:
    """One OIDC authentication request the tool sent to the LMS."""

    params: dict[str, str]
    errors: list[str] = field(default_factory=list)


class TestLMS:
    """The LMS pages, its OIDC endpoint and its key set, as one WSGI app."""

    __test__ = False

    def __init__(self, platform: TestPlatform, tool_base_url: str, *,
                 platform_storage: bool, pod: str = "budget-balancing") -> None:
        self.platform = platform
        #: the pod the activity link places (the launch's ``custom.pod``); may be changed
        #: before the activity is opened
        self.pod = pod
        self.tool_base_url = tool_base_url.rstrip("/")
        self.platform_storage = platform_storage
        self.base_url = ""  # set when served
        self.auth_requests: list[AuthRequest] = []
        self._hints: set[str] = set()
        self._lock = threading.Lock()

    @property
    def tool_origin(self) -> str:
        parts = urlsplit(self.tool_base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def course_url(self) -> str:
        return self.base_url + COURSE_PATH + "?id=2"

    def login_params(self) -> dict[str, str]:
        message_hint = json.dumps({"cmid": 2, "launchid": f"ltilaunch{len(self._hints)}"})
        with self._lock:
            self._hints.add(message_hint)
        params = {
            "iss": self.platform.issuer, "login_hint": LOGIN_HINT,
            "target_link_uri": self.tool_base_url + "/lti/launch",
            "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id,
            "lti_message_hint": message_hint,
        }
        if self.platform_storage:
            params["lti_storage_target"] = STORAGE_FRAME
        return params

    # -- WSGI ----------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        routes: dict[str, Callable[[Request], Response]] = {
            COURSE_PATH: self.course_page, ACTIVITY_PATH: self.activity_page,
            LAUNCH_PATH: self.launch_form, "/authorize": self.authorize,
            STORAGE_PATH: self.storage_frame,
        }
        if request.path in routes:
            response = routes[request.path](request)
        else:  # /jwks and anything else: the platform's own endpoints
            return self.platform.wsgi(environ, start_response)  # type: ignore[no-any-return]
        return response(environ, start_response)

    def course_page(self, request: Request) -> Response:
        return _page(COURSE_TITLE, f"<header>Example Health LMS</header><main>"
                     f"<h1>{html.escape(COURSE_TITLE)}</h1><h2>Week 3: Money</h2><ul>"
                     f'<li><a href="{ACTIVITY_PATH}?id=2">{ACTIVITY_TITLE}</a></li></ul></main>')

    def activity_page(self, request: Request) -> Response:
        storage = (f'<iframe name="{STORAGE_FRAME}" id="{STORAGE_FRAME}" src="{STORAGE_PATH}" '
                   'title="LMS storage" hidden></iframe>') if self.platform_storage else ""
        frame = (f'<iframe name="{TOOL_FRAME}" id="{TOOL_FRAME}" title="{ACTIVITY_TITLE}" '
                 'allow="fullscreen"></iframe>')
        # The tool frame starts only once the storage frame listens, as the LMS page's
        # own script would order it; without storage it starts at once.
        start = f"document.getElementById('{TOOL_FRAME}').src = '{LAUNCH_PATH}?id=2';"
        script = (f"document.getElementById('{STORAGE_FRAME}').addEventListener('load', "
                  f"function () {{ {start} }});") if self.platform_storage else start
        return _page(ACTIVITY_TITLE, f"<header>Example Health LMS</header><main>"
                     f'<p><a href="{COURSE_PATH}?id=2">Back to the course</a></p>'
                     f"<h1>{ACTIVITY_TITLE}</h1>{storage}{frame}</main>", script)

    def launch_form(self, request: Request) -> Response:
        """Moodle's launch.php: the login initiation as an auto-submitted form POST."""
        return _auto_post(self.tool_base_url + "/lti/login", self.login_params(),
                          "Launching the activity")

    def storage_frame(self, request: Request) -> Response:
        return _page("LMS storage", "", _STORAGE_JS % {"tool_origin": json.dumps(self.tool_origin)})

    def authorize(self, request: Request) -> Response:
        params = {k: v for k, v in request.args.items()}
        record = AuthRequest(params)
        self.auth_requests.append(record)
        expected = {"scope": "openid", "response_type": "id_token",
                    "response_mode": "form_post", "prompt": "none",
                    "client_id": self.platform.client_id,
                    "redirect_uri": self.tool_base_url + "/lti/launch",
                    "login_hint": LOGIN_HINT}
        for name, value in expected.items():
            if params.get(name) != value:
                record.errors.append(f"{name}={params.get(name)!r}, expected {value!r}")
        for name in ("state", "nonce"):
            if not params.get(name):
                record.errors.append(f"no {name}")
        redirect_uri = self.tool_base_url + "/lti/launch"
        with self._lock:
            hint = params.get("lti_message_hint", "")
            spent = hint not in self._hints
            self._hints.discard(hint)  # single use: Moodle's auth.php unsets the launch
        if spent or params.get("redirect_uri") != redirect_uri:
            # Moodle cannot find the launch (or the redirect URI is not registered): it
            # shows its own error page and posts nothing back to the tool.
            record.errors.append("lti_message_hint unknown or already used" if spent
                                 else "redirect_uri is not registered")
            response = _page("Error", "<h1>Invalid request</h1>"
                             f"<p>{html.escape(record.errors[-1])}</p>")
            response.status_code = 400
            return response
        if record.errors:
            return _auto_post(redirect_uri, {
                "error": "invalid_request", "error_description": "; ".join(record.errors),
                "state": params.get("state", ""),
            }, "Returning to the tool")
        claims = self.platform.claims(
            nonce=params["nonce"], role="Learner", pod=self.pod,
            overrides={LTI + "target_link_uri": self.tool_base_url + "/lti/launch"},
        )
        return _auto_post(redirect_uri, {"id_token": self.platform.sign(claims),
                                         "state": params["state"]}, "Returning to the tool")


@dataclass(frozen=True)
class ToolRequest:
    """What the browser sent to the tool: the cookies it carried and the form's fields."""

    method: str
    path: str
    cookies: frozenset[str]
    form_fields: frozenset[str]
    status: int | None = None


class RequestLog:
    """WSGI middleware that records each request's cookie names and form field names."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requests: list[ToolRequest] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        cookies = frozenset(request.cookies.keys())
        fields: frozenset[str] = frozenset()
        if environ.get("REQUEST_METHOD") == "POST" and request.mimetype == (
                "application/x-www-form-urlencoded"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = BytesIO(body)
            fields = frozenset(parse_qs(body.decode("utf-8", "replace"),
                                        keep_blank_values=True).keys())
        index = len(self.requests)
        self.requests.append(ToolRequest(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                                         cookies, fields))

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            entry = self.requests[index]
            self.requests[index] = ToolRequest(entry.method, entry.path, entry.cookies,
                                               entry.form_fields, int(status.split()[0]))
            return start_response(status, headers, exc_info)

        return self.app(environ, recording_start_response)

    def to(self, method: str, path: str) -> list[ToolRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]


@dataclass
class ToolServer:
    """The tool app as served to the browser, and the log of what the browser sent it."""

    app: Flask
    base_url: str
    log: RequestLog
