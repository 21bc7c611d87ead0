"""Browser fixtures: the real tool on ``http://localhost:<port>``, a test LMS on
``http://127.0.0.1:<port>`` that frames it, and Debian's Chromium driven by Playwright.

The two hosts are different sites to Chromium, so the framed tool is a third party
with respect to the LMS page, as it is under a real Moodle or Canvas.

Without ``/usr/bin/chromium`` these tests skip, except when ``CI`` is set: there a
missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from leadership_pods.lti_tool.platform_keys import PlatformKeyService
from tests.browser.lms import RequestLog, TestLMS, ToolServer
from tests.conftest import make_app, register
from tests.support.http_server import LocalServer
from tests.support.platform import TestPlatform

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as driver:
        yield driver


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def tool(tmp_path: Path) -> Iterator[ToolServer]:
    """The real tool app with a fresh SQLite database, reached as http://localhost:<port>."""
    PlatformKeyService.forget()
    port = _free_port()
    base_url = f"http://localhost:{port}"
    app = make_app(f"sqlite:///{tmp_path / 'tool.sqlite3'}", tmp_path, base_url=base_url)
    log = RequestLog(app.wsgi_app)
    app.wsgi_app = log  # type: ignore[method-assign]
    with LocalServer(app, host="127.0.0.1", port=port):
        yield ToolServer(app, base_url, log)
    app.extensions["leadership_pods"]["db"].dispose()


@pytest.fixture
def start_lms(tool: ToolServer) -> Iterator[Callable[..., TestLMS]]:
    """Serve a test LMS on 127.0.0.1 and register it with the tool."""
    servers: list[LocalServer] = []

    def start(*, platform_storage: bool) -> TestLMS:
        platform = (TestPlatform() if platform_storage else  # Canvas offers platform storage
                    TestPlatform(issuer="https://moodle.example.edu", client_id="Xq7PzR2mKd9LwT4",
                                 deployment_id="1", shape="moodle"))
        lms = TestLMS(platform, tool.base_url, platform_storage=platform_storage)
        server = LocalServer(lms.wsgi).__enter__()
        servers.append(server)
        lms.base_url = platform.base_url = server.url
        if not platform_storage:  # Moodle's issuer is its site URL
            platform.issuer = server.url
        register(tool.app, platform)
        return lms

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def _profile_preferences(tool_origin: str, lms_origin: str) -> dict[str, Any]:
    """Chromium preferences that drop the tool's cookies while it is framed by the LMS.

    ``cookie_controls_mode: 1`` is "Block third-party cookies". On its own it still lets
    the tool's partitioned (CHIPS) cookie through, so the profile also carries a cookie
    "block" exception for the tool's origin when embedded under the LMS's top-level
    origin: every cookie of the tool, partitioned or not, is dropped inside the LMS
    page, as a browser that refuses all third-party cookies does. As a top-level page
    (a new window) the tool keeps its cookies.
    """
    exception = {f"{tool_origin},{lms_origin}": {"setting": 2}}  # 2 = block
    return {"profile": {"cookie_controls_mode": 1, "block_third_party_cookies": True,
                        "content_settings": {"exceptions": {"cookies": exception}}}}


@pytest.fixture
def browser(playwright: Any, tool: ToolServer, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start Chromium with a fresh profile; returns its (persistent) browser context."""
    contexts: list[Any] = []

    def launch(*, block_tool_cookies_under: str | None = None,
               viewport: dict[str, int] | None = None) -> Any:
        profile = tmp_path / f"chromium-profile-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        if block_tool_cookies_under:
            prefs = _profile_preferences(tool.base_url, block_tool_cookies_under)
            (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=viewport or {"width": 1024, "height": 900},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        context.close()


@pytest.fixture
def expect(playwright: Any) -> Any:
    """Playwright's auto-waiting assertions (imported only once Chromium is known to exist)."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=10_000)  # a loaded CI machine is slower
    return playwright_expect


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
