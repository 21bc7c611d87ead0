"""What the benchmarks share: the app as the tests build it, a resident launched into a pod
with the attempt started, a bare JSON route to measure against, and the exit convention.

Each bench is run as ``python bench/<name>.py`` from the repository root; this module is
imported from beside it. The exit status is 0 whatever the figures, 2 if the bench itself
breaks (:class:`BenchError`).
"""

from __future__ import annotations

import cProfile
import io
import logging
import pstats
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


class BenchError(RuntimeError):
    """The bench itself broke (a launch or a request did not answer as expected)."""


def quiet_logs() -> None:
    """WARNING and up only: create_app sets the root logger to INFO."""
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def bare() -> Any:
    """``POST /bench/bare``: parse the JSON body, answer ``{"ok": true}`` -- the app's own
    request handling (security headers, the transaction hooks) and nothing else."""
    from flask import jsonify, request

    payload = request.get_json(silent=True)
    if payload is None:
        return jsonify({"error": "invalid"}), 400
    return jsonify({"ok": True})


def build(directory: Path) -> tuple[Any, Any, Any]:
    """The app (a fresh SQLite file in ``directory``, with ``/bench/bare``), the server of
    the platform's JWKS on 127.0.0.1, and the platform, registered."""
    from leadership_pods.lti_tool.platform_keys import PlatformKeyService
    from tests.conftest import make_app, register
    from tests.support.http_server import LocalServer
    from tests.support.platform import TestPlatform

    PlatformKeyService.forget()
    app = make_app(f"sqlite:///{directory / 'bench.sqlite3'}", directory)
    quiet_logs()
    # before the app's first request: Flask refuses new routes after it
    app.add_url_rule("/bench/bare", "bench_bare", bare, methods=["POST"])
    platform = TestPlatform()
    server = LocalServer(platform.wsgi).__enter__()
    platform.base_url = server.url
    register(app, platform)
    return app, server, platform


def launch_and_start(app: Any, platform: Any, pod: str) -> tuple[Any, str]:
    """A resident launched into ``pod`` and the attempt started from the overview's form,
    as ``tests/integration/test_player.py`` does; (client, launch token)."""
    from tests.support.platform import TOOL_BASE_URL

    client = app.test_client()
    response = platform.launch(client, pod=pod, role="Learner")
    if response.status_code != 303:
        raise BenchError(f"launch answered {response.status_code}: "
                         f"{response.get_data(as_text=True)[:500]}")
    lt = parse_qs(urlsplit(response.headers["Location"]).query)["lt"][0]
    overview = client.get(f"/pods/{pod}", query_string={"lt": lt}, base_url=TOOL_BASE_URL)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      overview.get_data(as_text=True))
    if overview.status_code != 200 or not match:
        raise BenchError(f"overview answered {overview.status_code} without a start form")
    started = client.post(f"/pods/{pod}/start", data={"lt": lt, "csrf_token": match.group(1)},
                          base_url=TOOL_BASE_URL)
    if started.status_code != 303:
        raise BenchError(f"start answered {started.status_code}")
    return client, lt


#: one row of a profiled path: (label, file suffix, function, how same-named functions
#: combine: "max" takes the outermost, "sum" adds them up)
PathPart = tuple[str, str, str, str]
#: the parts every request to the tool has
WHOLE_REQUEST: PathPart = ("the whole request (test client)", "werkzeug/test.py",
                           "run_wsgi_app", "max")
COMMIT: PathPart = ("transactions.commit", "leadership_pods/web/transactions.py", "commit",
                    "max")


def launch_parts(indent: str) -> tuple[PathPart, ...]:
    """The page's launch, found from its launch token (indented under the caller's part)."""
    return (
        (f"{indent}scope.current_launch", "leadership_pods/web/scope.py", "current_launch",
         "max"),
        (f"{indent}  launch_token open", "leadership_pods/lti_tool/launch_token.py", "open",
         "max"),
        (f"{indent}  context.load_launch", "leadership_pods/lti_tool/context.py", "load_launch",
         "max"),
    )


def profile_parts(profiler: cProfile.Profile, path: tuple[PathPart, ...], n: int,
                  what: str) -> str:
    """The path's parts under ``profiler`` (cumulative ms per call, share of the first row,
    calls per call; parts the code does not call are left out), then the top functions.
    cProfile slows many-small-call code more than the rest: read the shares, not the
    absolute figures."""
    raw: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    lines = [f"{'part of the ' + what:<48}{'ms/call':>9}{'share':>8}{'calls/call':>12}"]
    total = None
    for label, suffix, name, how in path:
        matches = [(ct, nc) for (file, _, func), (_, nc, _, ct, _) in raw.items()
                   if func == name and file.endswith(suffix)]
        if how == "sum":
            cumulative, calls = sum(ct for ct, _ in matches), sum(nc for _, nc in matches)
        else:
            cumulative, calls = max(matches, default=(0.0, 0))
        if total is None:
            total = cumulative or 1.0
        if not cumulative:
            continue
        lines.append(f"{label:<48}{1000 * cumulative / n:>9.2f}{100 * cumulative / total:>7.0f}%"
                     f"{calls / n:>12.0f}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
    return "\n".join(lines) + "\n" + out.getvalue()


def run(main: Callable[[], int]) -> None:
    """Exit with ``main()``'s status, or 2 with one line if the bench broke."""
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(2)
