"""LTI 1.3 login + launch round trips per second: Leadership Pods against stock pylti1p3.

Run from the repository root, after installing the project::

    python bench/launch.py [--launches N] [--block B] [--warmup W]

Both sides get the same platform (``tests/support/platform.py``: real RS256 keys, its
JWKS served over real HTTP on 127.0.0.1 by ``tests/support/http_server.py``, counting
fetches), the same login parameters and the same launch claims, through a Flask test
client with cookies:

* ours: ``leadership_pods.app.create_app`` on a fresh SQLite file, the platform
  registered through ``PlatformRegistry``;
* stock: a minimal Flask app written the way pylti1p3's own Flask example
  (dmitry-viskov/pylti1.3-flask-example, ``game/app.py``) is: a ``ToolConfJsonFile``
  read per request, ``FlaskOIDCLogin(...).redirect(target_link_uri)`` and
  ``FlaskMessageLaunch(...).get_launch_data()`` with ``FlaskCacheDataStorage`` over
  Flask-Caching's "simple" cache (the example's configuration), the login's cookie
  check enabled (``enable_check_cookies()``: a browser loads the check page, whose
  script reloads the login with ``lti1p3_new_window=1``), and no public key caching, so
  every launch fetches the platform JWKS (as the example does).

One round trip: GET /lti/login (stock: the cookie-check page, then the reload its
script makes) -> read state and nonce from the redirect -> the
platform builds and signs the id_token -> POST /lti/launch -> 303. Each round trip
uses a fresh test client (a fresh browser), so cookies do not pile up on either side.

The rate counts the tool's time only: the two requests to the tool. The platform's
work between them (building and RS256-signing the id_token) is timed apart and left
out identically on both sides; the table also shows the rate with it included.
Sides alternate in blocks so machine noise hits both alike. JWKS fetches are counted
from a cold start over every launch a side made (warm-up included).

The last lines are the BENCH lines of /work/shared/INTERFACES.md. The exit status is 0
whatever the figures; non-zero only if the bench itself breaks.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness import BenchError, quiet_logs, run

TOOL_BASE_URL = "https://pods.test"


# ---------------------------------------------------------------------------------------
# stock pylti1p3, as its Flask example uses it
# ---------------------------------------------------------------------------------------
def make_stock_app(config_path: Path) -> Any:
    from flask import Flask, redirect
    from flask_caching import Cache
    from pylti1p3.contrib.flask import (
        FlaskCacheDataStorage,
        FlaskMessageLaunch,
        FlaskOIDCLogin,
        FlaskRequest,
    )
    from pylti1p3.tool_config import ToolConfJsonFile

    app = Flask("pylti1p3-stock-bench")
    app.config.update(SECRET_KEY="stock-bench-secret", TESTING=True,
                      CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=600)
    cache = Cache(app)

    def get_launch_data_storage() -> Any:
        return FlaskCacheDataStorage(cache)

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> Any:
        tool_conf = ToolConfJsonFile(str(config_path))
        launch_data_storage = get_launch_data_storage()
        flask_request = FlaskRequest()
        target_link_uri = flask_request.get_param("target_link_uri")
        if not target_link_uri:
            raise Exception('Missing "target_link_uri" param')
        oidc_login = FlaskOIDCLogin(flask_request, tool_conf,
                                    launch_data_storage=launch_data_storage)
        # As in the example: the first request answers a page whose script checks that
        # cookies work and reloads /login with lti1p3_new_window=1, which redirects.
        return oidc_login.enable_check_cookies().redirect(target_link_uri)

    @app.route("/lti/launch", methods=["POST"])
    def launch() -> Any:
        tool_conf = ToolConfJsonFile(str(config_path))
        flask_request = FlaskRequest()
        launch_data_storage = get_launch_data_storage()
        message_launch = FlaskMessageLaunch(flask_request, tool_conf,
                                            launch_data_storage=launch_data_storage)
        data = message_launch.get_launch_data()  # validates; fetches the JWKS
        if not data.get("sub"):
            raise Exception("launch without sub")
        # the example renders its game page here; a redirect keeps the response alike
        return redirect("/game/" + message_launch.get_launch_id(), code=303)

    return app


def write_stock_config(directory: Path, platform: Any) -> Path:
    from tests.support.platform import PlatformKey

    tool_key = PlatformKey(kid="stock-tool")
    (directory / "private.key").write_bytes(tool_key.pem)
    (directory / "public.key").write_bytes(tool_key.public_pem())
    reg = platform.registration()
    config = {reg["issuer"]: [{
        "default": True,
        "client_id": reg["client_id"],
        "auth_login_url": reg["auth_login_url"],
        "auth_token_url": reg["auth_token_url"],
        "auth_audience": None,
        "key_set_url": reg["key_set_url"],
        "key_set": None,
        "private_key_file": "private.key",
        "public_key_file": "public.key",
        "deployment_ids": [platform.deployment_id],
    }]}
    path = directory / "tool.json"
    path.write_text(json.dumps(config, indent=2))
    return path


# ---------------------------------------------------------------------------------------
# ours
# ---------------------------------------------------------------------------------------
def make_our_app(directory: Path, platform: Any) -> Any:
    from leadership_pods import models  # noqa: F401  (every table on Base.metadata)
    from leadership_pods.app import create_app
    from leadership_pods.config.database import Base
    from leadership_pods.lti_tool.platform_keys import PlatformKeyService
    from leadership_pods.lti_tool.registry import PlatformRegistry, PlatformSpec

    PlatformKeyService.forget()  # a cold JWKS cache
    app = create_app({
        "testing": True,
        "database_url": f"sqlite:///{directory / 'bench.sqlite3'}",
        "secret_key": "bench-secret-" + "x" * 20,
        "base_url": TOOL_BASE_URL,
        "instance_path": directory / "instance",
        "demo": False,
    })
    quiet_logs()
    db = app.extensions["leadership_pods"]["db"]
    Base.metadata.create_all(db.engine)
    with db.transaction() as session:
        PlatformRegistry(session).add(PlatformSpec(
            **platform.registration(), deployment_ids=(platform.deployment_id,)))
    return app


# ---------------------------------------------------------------------------------------
# the platform
# ---------------------------------------------------------------------------------------
def make_platform(jwks_delay: float = 0.0) -> Any:
    """``TestPlatform``, with its private key parsed once.

    ``TestPlatform`` parses (and checks) the RSA private key PEM every time it signs an
    id_token and every time it builds its JWKS (~45 ms each). A real platform does
    neither per request, and a slow JWKS endpoint would make the baseline, which
    fetches on every launch, look slower than it is. Here the key object is loaded
    once (RS256 signatures are deterministic: the tokens are byte for byte the same)
    and the JWKS document is built once per key set, still counted per fetch and sent
    with the same Cache-Control. ``jwks_delay`` (seconds, default 0) holds each JWKS
    answer back, to see what a platform across a real network would cost.
    """
    import jwt
    from cryptography.hazmat.primitives import serialization
    from werkzeug.wrappers import Request, Response

    from tests.support.platform import TestPlatform

    class BenchPlatform(TestPlatform):
        __test__ = False

        def __init__(self) -> None:
            super().__init__()
            self._loaded: dict[bytes, Any] = {}
            self._jwks: dict[tuple[str, ...], bytes] = {}

        def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
            if Request(environ).path != "/jwks" or not self.jwks_available:
                return super().wsgi(environ, start_response)
            self.jwks_fetches += 1
            if jwks_delay:
                time.sleep(jwks_delay)
            kids = tuple(k.kid for k in self.keys)
            body = self._jwks.get(kids)
            if body is None:
                body = json.dumps({"keys": [k.public_jwk() for k in self.keys]}).encode()
                self._jwks[kids] = body
            response = Response(body, mimetype="application/json")
            response.headers["Cache-Control"] = self.jwks_cache_control
            return response(environ, start_response)

        def sign(self, claims: Any, *, key: Any = None, headers: Any = None,
                 algorithm: str = "RS256") -> str:
            key = key or self.key
            loaded: Any = self._loaded.get(key.pem)
            if loaded is None:
                loaded = serialization.load_pem_private_key(key.pem, password=None)
                self._loaded[key.pem] = loaded
            header = {"kid": key.kid, **(headers or {})}
            return jwt.encode(dict(claims), loaded, algorithm=algorithm, headers=header)

    return BenchPlatform()


# ---------------------------------------------------------------------------------------
# the round trip, the same for both sides
# ---------------------------------------------------------------------------------------
class Side:
    def __init__(self, name: str, app: Any, platform: Any) -> None:
        self.name = name
        self.app = app
        self.platform = platform
        self.launches = 0          # timed launches
        self.tool_seconds = 0.0    # time in the two requests to the tool
        self.platform_seconds = 0.0  # the platform's id_token work, left out of the rate
        self.tool_cpu = 0.0        # this thread's CPU in the two requests (load-proof)
        self.all_launches = 0      # every launch, warm-up included
        self.jwks_fetches = 0      # every fetch this side caused, from a cold start

    def round_trip(self) -> tuple[float, float, float]:
        """One login + launch: (tool wall seconds, platform seconds, tool CPU seconds)."""
        platform = self.platform
        client = self.app.test_client()
        params = platform.login_params()
        c0, t0 = time.thread_time(), time.perf_counter()
        response = client.get("/lti/login", query_string=params, base_url=TOOL_BASE_URL)
        if response.status_code == 200 and "lti1p3_new_window" in response.get_data(as_text=True):
            # stock's cookie-check page: its script reloads the login, as a browser does
            response = client.get("/lti/login", query_string={**params, "lti1p3_new_window": "1"},
                                  base_url=TOOL_BASE_URL)
        t1, c1 = time.perf_counter(), time.thread_time()
        if response.status_code != 302:
            raise BenchError(f"{self.name}: login answered {response.status_code}: "
                             f"{response.get_data(as_text=True)[:500]}")
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        state, nonce = query["state"][0], query["nonce"][0]
        id_token = platform.sign(platform.claims(nonce=nonce))
        c2, t2 = time.thread_time(), time.perf_counter()
        response = client.post("/lti/launch", data={"id_token": id_token, "state": state},
                               base_url=TOOL_BASE_URL)
        t3, c3 = time.perf_counter(), time.thread_time()
        if response.status_code != 303:
            raise BenchError(f"{self.name}: launch answered {response.status_code}: "
                             f"{response.get_data(as_text=True)[:500]}")
        return (t1 - t0) + (t3 - t2), t2 - t1, (c1 - c0) + (c3 - c2)

    def run(self, count: int, *, timed: bool) -> float:
        """``count`` round trips; returns the tool's seconds for them."""
        before = self.platform.jwks_fetches
        tool = plat = cpu = 0.0
        for _ in range(count):
            t, p, c = self.round_trip()
            tool += t
            plat += p
            cpu += c
        self.jwks_fetches += self.platform.jwks_fetches - before
        self.all_launches += count
        if timed:
            self.launches += count
            self.tool_seconds += tool
            self.platform_seconds += plat
            self.tool_cpu += cpu
        return tool

    @property
    def rate(self) -> float:
        return self.launches / self.tool_seconds if self.tool_seconds else 0.0

    @property
    def rate_with_signing(self) -> float:
        total = self.tool_seconds + self.platform_seconds
        return self.launches / total if total else 0.0

    @property
    def fetches_per_1000(self) -> float:
        return 1000.0 * self.jwks_fetches / self.all_launches if self.all_launches else 0.0


def _num(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=1000,
                        help="timed round trips per side (default 1000)")
    parser.add_argument("--block", type=int, default=20,
                        help="round trips per side per alternation (default 20)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="untimed round trips per side first (default 20)")
    parser.add_argument("--budget", type=float, default=100.0,
                        help="stop alternating after this many seconds (default 100)")
    parser.add_argument("--jwks-delay-ms", type=float, default=0.0,
                        help="hold each JWKS answer back this long, as a platform across a "
                             "network would (default 0: loopback)")
    args = parser.parse_args(argv)

    from tests.support.http_server import LocalServer

    quiet_logs()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-launch-") as tmp:
        directory = Path(tmp)
        platform = make_platform(args.jwks_delay_ms / 1000.0)
        with LocalServer(platform.wsgi) as server:
            platform.base_url = server.url
            our_dir, stock_dir = directory / "ours", directory / "stock"
            our_dir.mkdir()
            stock_dir.mkdir()
            our_app = make_our_app(our_dir, platform)
            ours = Side("ours", our_app, platform)
            stock = Side("stock pylti1p3", make_stock_app(write_stock_config(stock_dir,
                                                                              platform)),
                         platform)

            for side in (ours, stock):
                side.run(args.warmup, timed=False)
            blocks = 0
            block_ratios: list[float] = []
            order: tuple[Side, Side] = (ours, stock)
            while ours.launches < args.launches:
                n = min(args.block, args.launches - ours.launches)
                seconds = {side.name: side.run(n, timed=True) for side in order}
                block_ratios.append(seconds[stock.name] / seconds[ours.name])
                order = (order[1], order[0])
                blocks += 1
                if time.perf_counter() - started > args.budget:
                    print(f"(time budget of {args.budget:.0f}s reached after {blocks} "
                          "blocks per side)", file=sys.stderr)
                    break
            db = ours.app.extensions["leadership_pods"]["db"]
            db.dispose()

    elapsed = time.perf_counter() - started
    print(f"LTI login+launch round trips, {ours.launches} timed per side in blocks of "
          f"{args.block} (alternating), after {args.warmup} warm-up each; "
          f"run {elapsed:.1f}s"
          + (f"; JWKS answers delayed {args.jwks_delay_ms:g} ms" if args.jwks_delay_ms else ""))
    print("launches/s = timed launches / wall seconds in the tool's two requests; "
          "+sign/s adds the platform's\nid_token signing; CPU ms = this thread's CPU per "
          "launch in those requests (stock's JWKS server\nthread not included); JWKS "
          "fetches counted from a cold start over all launches, warm-up included")
    header = (f"{'side':<16}{'launches':>9}{'seconds':>9}{'launches/s':>12}"
              f"{'+sign/s':>9}{'ms/launch':>11}{'CPU ms':>8}{'JWKS fetches':>15}"
              f"{'per 1000':>10}")
    print(header)
    print("-" * len(header))
    for side in (ours, stock):
        ms = 1000.0 * side.tool_seconds / side.launches if side.launches else 0.0
        cpu = 1000.0 * side.tool_cpu / side.launches if side.launches else 0.0
        print(f"{side.name:<16}{side.launches:>9}{side.tool_seconds:>9.2f}"
              f"{side.rate:>12.1f}{side.rate_with_signing:>9.1f}{ms:>11.2f}{cpu:>8.2f}"
              f"{side.jwks_fetches:>9} / {side.all_launches:<4}{side.fetches_per_1000:>9.1f}")
    block_ratios.sort()
    print(f"ours/stock rate per block of {args.block}: min {block_ratios[0]:.2f}, "
          f"median {block_ratios[len(block_ratios) // 2]:.2f}, max {block_ratios[-1]:.2f}")
    rate_ratio = ours.rate / stock.rate if stock.rate else 0.0
    fetch_ratio = (ours.fetches_per_1000 / stock.fetches_per_1000
                   if stock.fetches_per_1000 else 0.0)
    print(f"BENCH launch-rate value={_num(ours.rate)} baseline={_num(stock.rate)} "
          f"ratio={rate_ratio:.2f} target=>=2 unit=launches/s")
    print(f"BENCH jwks-fetches-per-1000 value={_num(ours.fetches_per_1000)} "
          f"baseline={_num(stock.fetches_per_1000)} ratio={fetch_ratio:.4f} "
          f"target=value<=1 unit=fetches")
    return 0


if __name__ == "__main__":
    run(main)
