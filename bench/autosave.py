"""Autosave round trips per second, against a bare JSON route of the same app.

Run from the repository root, after installing the project::

    python bench/autosave.py [--saves N] [--block B] [--warmup W] [--budget S] [--profile]

The app is built as ``tests/conftest.py``'s ``make_app`` builds it (a fresh SQLite file
in a temporary directory), a resident is launched into pod "quality-improvement" through
``tests/support/platform.py``'s ``TestPlatform`` (real RS256 id_token, its JWKS served
over HTTP on 127.0.0.1), and the attempt is started from the overview's form, as in
``tests/integration/test_player.py``. Then, through the Flask test client:

* autosave: ``POST /pods/quality-improvement/save`` with ``X-Launch-Token``, a new
  ``save_id`` and the version answered by the previous save, carrying the reflection
  section's whole answer (four responses, about 330 words, growing by a word per save
  as typing does), as ``player.js`` sends it; the launch token is taken from each
  answer, as the player does;
* bare: ``POST /bench/bare``, registered on the same app instance before its first
  request, with the same JSON body and headers; it parses the JSON and answers
  ``{"ok": true}``: the app's own request handling (security headers, the transaction
  hooks) without the launch, the attempt or the database.

Both bodies are built before the clock starts. Sides alternate in blocks, after a
warm-up, so machine noise hits both alike, and stop at ``--saves`` per side or after
``--budget`` seconds. The figure is wall milliseconds per request (also shown as
requests per second, and as this thread's CPU milliseconds); every save is checked
(200, the version one more than the last), and the attempt is checked at the end.

With ``--profile`` (or when the ratio is over the target), the save path is profiled
(cProfile, 300 saves) and the top costs are printed. The last line is the BENCH line
of /work/shared/INTERFACES.md; the exit status is 0 whatever the figures, 2 if the
bench itself breaks.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness import (
    COMMIT,
    WHOLE_REQUEST,
    BenchError,
    PathPart,
    build,
    launch_and_start,
    launch_parts,
    profile_parts,
    quiet_logs,
    run,
)

POD = "quality-improvement"
SECTION = "reflection"
TARGET = 3.0


# ---------------------------------------------------------------------------------------
# what a resident types: a reflection of a few hundred words
# ---------------------------------------------------------------------------------------
REFLECTION = {
    "least-intuitive": (
        "Measuring before changing anything was the least intuitive step for me. My first "
        "instinct on 7 North was to propose a discharge order deadline on the first day, "
        "because the delay looked obvious from the ward round and every attending I have "
        "worked with fixes problems by writing a new rule. Clinical training rewards quick "
        "decisions on incomplete data, and a deadline felt like a decision. The case showed "
        "me that the order time was not where most of the delay lived: prescriptions, "
        "transport and teaching at the bedside took longer than the order itself."
    ),
    "imposed-change": (
        "Last winter a sepsis alert was switched on for every adult inpatient at once. It "
        "fired on nearly every febrile patient, the nurses learned to dismiss it within a "
        "week, and nobody could say whether it changed time to antibiotics. A problem "
        "statement with our own numbers, a team that included the night charge nurse and a "
        "pharmacist, and a two-day test on one unit with a written prediction would have "
        "shown the alert fatigue before it spread. Alert overrides and nurse interruptions "
        "would have been the balancing measures."
    ),
    "frontline-voice": (
        "The case manager, Luis in the case and Maria on my own unit, would change my "
        "charter most. She sees every barrier between the discharge order and the patient "
        "leaving: rides that are not booked, oxygen that is not delivered, families who "
        "were told a different day. I will meet her on the fourteenth, before the team "
        "meets, and ask her to walk me through the last five discharges that went wrong."
    ),
    "after-you-leave": (
        "The project is most likely to fade when I rotate to nights in March and the "
        "huddle has no owner. The charter names the unit medical director as sponsor and "
        "the charge nurse as process owner, builds the huddle into the existing afternoon "
        "bed meeting rather than adding a new one, and keeps the run chart on the unit "
        "dashboard that the quality department already updates every week."
    ),
}


def reflection_words() -> int:
    from leadership_pods.pods.answers import word_count

    return sum(word_count(text) for text in REFLECTION.values())


class Bodies:
    """Pre-built JSON bodies: save ``n`` carries the reflection grown by ``n`` words."""

    def __init__(self) -> None:
        self.extra = ("and", "then", "we", "measured", "again")

    def body(self, n: int, version: int, save_id: str) -> bytes:
        responses = dict(REFLECTION)
        if n:
            tail = " ".join(self.extra[i % len(self.extra)] for i in range(n % 60))
            responses["after-you-leave"] = responses["after-you-leave"] + " " + tail
        return json.dumps({
            "save_id": save_id, "version": version, "section": SECTION,
            "position": SECTION, "active_ms": 5000, "answer": {"responses": responses},
        }).encode()


# ---------------------------------------------------------------------------------------
# the app, the launch and the attempt
# ---------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------
# the two sides
# ---------------------------------------------------------------------------------------
class Side:
    def __init__(self, name: str, path: str) -> None:
        self.name = name
        self.path = path
        self.count = 0
        self.seconds = 0.0
        self.cpu = 0.0

    @property
    def ms(self) -> float:
        return 1000.0 * self.seconds / self.count if self.count else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000.0 * self.cpu / self.count if self.count else 0.0

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


class Resident:
    """The browser's side of autosave: version and launch token carried from save to save."""

    def __init__(self, client: Any, lt: str) -> None:
        from tests.support.platform import TOOL_BASE_URL

        self.client = client
        self.lt = lt
        self.version = 0
        self.saves = 0
        self.bodies = Bodies()
        self.base_url = TOOL_BASE_URL

    def post(self, path: str, body: bytes) -> Any:
        return self.client.post(path, data=body, content_type="application/json",
                                headers={"X-Launch-Token": self.lt,
                                         "Accept": "application/json"},
                                base_url=self.base_url)

    def next_body(self) -> bytes:
        return self.bodies.body(self.saves, self.version, uuid.uuid4().hex)

    def save_block(self, side: Side, n: int, *, timed: bool) -> float:
        bodies = []
        for i in range(n):  # built before the clock starts; versions are predictable
            bodies.append(self.bodies.body(self.saves + i, self.version + i, uuid.uuid4().hex))
        total = cpu = 0.0
        for body in bodies:
            c0, t0 = time.thread_time(), time.perf_counter()
            response = self.post(side.path, body)
            t1, c1 = time.perf_counter(), time.thread_time()
            total += t1 - t0
            cpu += c1 - c0
            if response.status_code != 200:
                raise BenchError(f"save answered {response.status_code}: "
                                 f"{response.get_data(as_text=True)[:500]}")
            data = response.get_json()
            if data.get("version") != self.version + 1:
                raise BenchError(f"save answered version {data.get('version')}, "
                                 f"expected {self.version + 1}")
            self.version += 1
            self.saves += 1
            self.lt = response.headers.get("X-Launch-Token", self.lt)
        if timed:
            side.count += n
            side.seconds += total
            side.cpu += cpu
        return total

    def bare_block(self, side: Side, n: int, *, timed: bool) -> float:
        body = self.next_body()  # the same size of body as the saves
        total = cpu = 0.0
        for _ in range(n):
            c0, t0 = time.thread_time(), time.perf_counter()
            response = self.post(side.path, body)
            t1, c1 = time.perf_counter(), time.thread_time()
            total += t1 - t0
            cpu += c1 - c0
            if response.status_code != 200 or response.get_json() != {"ok": True}:
                raise BenchError(f"bare route answered {response.status_code}")
        if timed:
            side.count += n
            side.seconds += total
            side.cpu += cpu
        return total


#: the save path's parts (harness.PathPart rows); parts the code does not call are left out
SAVE_PATH: tuple[PathPart, ...] = (
    WHOLE_REQUEST,
    ("pods.views.save", "leadership_pods/pods/views.py", "save", "max"),
    ("  views._package", "leadership_pods/pods/views.py", "_package", "max"),
    ("    catalogue.load_catalogue", "leadership_pods/pods/catalogue.py", "load_catalogue",
     "max"),
    *launch_parts("  "),
    ("  request.get_json", "werkzeug/wrappers/request.py", "get_json", "max"),
    ("  scope.db_connection", "leadership_pods/web/scope.py", "db_connection", "max"),
    ("  Autosaves.attempt_for (SELECT)", "leadership_pods/pods/autosave.py", "attempt_for",
     "max"),
    ("  Autosaves.save", "leadership_pods/pods/autosave.py", "save", "max"),
    ("    answers.clean_answer", "leadership_pods/pods/answers.py", "clean_answer", "max"),
    ("    DriverStatement.execute (both statements)", "leadership_pods/config/driver_sql.py",
     "execute", "max"),
    ("    autosave._result (progress)", "leadership_pods/pods/autosave.py", "_result", "max"),
    ("  flask.jsonify", "flask/json/__init__.py", "jsonify", "max"),
    COMMIT,
)


def profile_saves(resident: Resident, side: Side, n: int) -> str:
    """cProfile over ``n`` saves: the save path's parts, then the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    resident.save_block(side, n, timed=False)
    profiler.disable()
    return profile_parts(profiler, SAVE_PATH, n, "save path")


def check_attempt(app: Any, resident: Resident) -> None:
    from sqlalchemy import select

    from leadership_pods.pods.models import Attempt

    with app.extensions["leadership_pods"]["db"].transaction() as session:
        attempt = session.scalar(select(Attempt))
        if attempt is None or attempt.version != resident.version:
            raise BenchError(f"the attempt is at version {attempt and attempt.version}, "
                             f"expected {resident.version}")
        stored = attempt.answers.get(SECTION, {}).get("responses", {})
        if set(stored) != set(REFLECTION):
            raise BenchError("the reflection was not stored")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=4000,
                        help="timed requests per side at most (default 4000)")
    parser.add_argument("--block", type=int, default=50,
                        help="requests per side per alternation (default 50)")
    parser.add_argument("--warmup", type=int, default=100,
                        help="untimed requests per side first (default 100)")
    parser.add_argument("--budget", type=float, default=35.0,
                        help="stop alternating after this many seconds (default 35)")
    parser.add_argument("--profile", action="store_true",
                        help="profile 300 saves and print the top costs")
    args = parser.parse_args(argv)

    quiet_logs()
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-autosave-") as tmp:
        app, server, platform = build(Path(tmp))
        try:
            client, lt = launch_and_start(app, platform, POD)
            resident = Resident(client, lt)
            save, bare_side = Side("autosave", f"/pods/{POD}/save"), Side("bare", "/bench/bare")
            resident.save_block(save, args.warmup, timed=False)
            resident.bare_block(bare_side, args.warmup, timed=False)
            block_ratios: list[float] = []
            flip = False
            loop_started = time.perf_counter()
            while save.count < args.saves:
                n = min(args.block, args.saves - save.count)
                if flip:
                    b = resident.bare_block(bare_side, n, timed=True)
                    s = resident.save_block(save, n, timed=True)
                else:
                    s = resident.save_block(save, n, timed=True)
                    b = resident.bare_block(bare_side, n, timed=True)
                block_ratios.append(s / b)
                flip = not flip
                if time.perf_counter() - loop_started > args.budget:
                    break
            check_attempt(app, resident)
            ratio = save.ms / bare_side.ms if bare_side.ms else 0.0
            profile = (profile_saves(resident, Side("profile", save.path), 300)
                       if args.profile or ratio > TARGET else "")
            check_attempt(app, resident)
        finally:
            server.__exit__(None, None, None)
            app.extensions["leadership_pods"]["db"].dispose()

    elapsed = time.perf_counter() - started
    load_end = os.getloadavg()[0]
    body_bytes = len(Bodies().body(0, 0, uuid.uuid4().hex))
    print(f"Autosave round trips through the Flask test client, {save.count} timed per side "
          f"in alternating blocks of {args.block}, after {args.warmup} warm-up each; "
          f"run {elapsed:.1f}s")
    print(f"body: the reflection answer of pod {POD!r} ({reflection_words()} words and "
          f"growing, {body_bytes} bytes of JSON); SQLite file database")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_start:.2f} at the start, "
          f"{load_end:.2f} at the end (other work inflates the save's syscalls, file stats "
          "and database writes more than the bare route: compare runs at like load)")
    header = f"{'side':<10}{'requests':>9}{'seconds':>9}{'req/s':>9}{'ms/req':>9}{'CPU ms':>8}"
    print(header)
    print("-" * len(header))
    for side in (save, bare_side):
        print(f"{side.name:<10}{side.count:>9}{side.seconds:>9.2f}{side.rate:>9.1f}"
              f"{side.ms:>9.3f}{side.cpu_ms:>8.3f}")
    block_ratios.sort()
    print(f"autosave/bare time per block: min {block_ratios[0]:.2f}, median "
          f"{block_ratios[len(block_ratios) // 2]:.2f}, max {block_ratios[-1]:.2f}; "
          f"{save.rate:.0f} autosaves/s vs {bare_side.rate:.0f} bare requests/s")
    if profile:
        print("\nprofile of 300 saves:\n" + profile)
    print(f"BENCH autosave-cost value={save.ms:.3f} baseline={bare_side.ms:.3f} "
          f"ratio={ratio:.2f} target=<={TARGET:g} unit=ms")
    return 0


if __name__ == "__main__":
    run(main)
