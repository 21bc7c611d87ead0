"""Grade passback: scores delivered per second, Leadership Pods' outbox worker against
stock pylti1p3's grade call; and OAuth2 token requests per 1,000 scores.

Run from the repository root, after installing the project::

    python bench/passback.py [--scores N] [--block B] [--warmup W] [--token-run M]

Both sides post released grades (``FullyGraded``, ``scoreGiven``/``scoreMaximum``, a
comment) for distinct residents to the same local LMS: ``tests/support/platform_services.py``
(a Canvas-shaped AGS with an OAuth2 token endpoint that checks RS256 client assertions),
served over real HTTP on 127.0.0.1. Each side has its own line item, taken from the
launch's ``lineitem`` claim (the cheapest path for both: no line item lookup).

* ours: one worker (``passport_sync.worker.make_worker``, as ``leadership-pods worker``
  builds it) on a fresh SQLite file, delivering scores queued through ``enqueue_score``.
  Timed: ``run_once()`` draining a block — claiming in its own transaction, posting,
  recording each outcome in another. Queueing is not timed (it is the grading
  request's work, on both sides left out).
* stock: pylti1p3 2.0's ``AssignmentsGradesService.put_grade`` the way its Flask
  example (dmitry-viskov/pylti1.3-flask-example, ``game/app.py``, ``score()``) calls
  it: per grade, the tool config read (``ToolConfJsonFile``), the registration found,
  a new ``ServiceConnector`` (the example's ``message_launch.get_ags()`` builds one per
  request, over the new ``requests.Session`` of ``MessageLaunch.from_cache``), a
  ``Grade`` with the example's timestamp, and ``put_grade``. The example's restoring
  of the launch from its cache is left out (it would only slow stock down).

Sides alternate in blocks so machine noise hits both alike. The fake LMS looks up its
roster by a set, not a list scan, so its own cost does not grow with the number of
residents. Token requests are counted at the token endpoint, from a cold start, over
every score a side delivered (warm-up included). Ours keeps delivering with the same
worker, untimed, until it has delivered ``--token-run`` scores (default 1,000) within
one token lifetime (an hour; the run is a minute); stock's figure is over its own
scores (one token request per grade, whatever the count).

The last lines are the BENCH lines of /work/shared/INTERFACES.md. The exit status is 0
whatever the figures; non-zero only if the bench itself breaks (a score not delivered).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import BenchError, quiet_logs, run

TOOL_BASE_URL = "https://pods.test"
ISSUER = "https://canvas.instructure.com"
CLIENT_ID = "10000000000042"
DEPLOYMENT_ID = "42:9c8f0e1b7d6a5c4b3a2918f7e6d5c4b3a2918f7e"
SCORE = {"activity_progress": "Completed", "grading_progress": "FullyGraded",
         "score_given": 8.0, "score_maximum": 10.0, "comment": "Well argued; quantify the savings."}


# ---------------------------------------------------------------------------------------
# the LMS
# ---------------------------------------------------------------------------------------
def make_lms(jwks: Any) -> Any:
    from tests.support.platform_services import PlatformServices

    class BenchLms(PlatformServices):
        """The test LMS, with its roster looked up by a set (as a real LMS's index)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.students: set[str] = set()

        def add_member(self, user_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            self.students.add(user_id)
            return {"user_id": user_id}

        def is_student(self, user_id: str) -> bool:
            return user_id in self.students

    return BenchLms(client_id=CLIENT_ID, jwks=jwks, shape="canvas")


# ---------------------------------------------------------------------------------------
# stock pylti1p3, as its Flask example uses it
# ---------------------------------------------------------------------------------------
class Stock:
    name = "stock pylti1p3"

    def __init__(self, directory: Path, lms: Any, ags_claim: dict[str, Any]) -> None:
        from tests.support.platform import PlatformKey

        key = PlatformKey(kid="stock-tool")
        (directory / "private.key").write_bytes(key.pem)
        (directory / "public.key").write_bytes(key.public_pem())
        self.config = directory / "tool.json"
        self.config.write_text(json.dumps({ISSUER: [{
            "default": True, "client_id": CLIENT_ID,
            "auth_login_url": lms.base_url + "/authorize", "auth_token_url": lms.token_url,
            "auth_audience": None, "key_set_url": lms.base_url + "/jwks", "key_set": None,
            "private_key_file": "private.key", "public_key_file": "public.key",
            "deployment_ids": [DEPLOYMENT_ID]}]}, indent=2))
        self.public_pem = key.public_pem().decode()
        self.lms = lms
        self.ags_claim = ags_claim
        self.sent = 0

    def jwk(self) -> dict[str, Any]:
        from pylti1p3.registration import Registration

        return dict(Registration.get_jwk(self.public_pem))  # what its /jwks/ route serves

    def grade(self, sub: str) -> None:
        from pylti1p3.assignments_grades import AssignmentsGradesService
        from pylti1p3.grade import Grade
        from pylti1p3.service_connector import ServiceConnector
        from pylti1p3.tool_config import ToolConfJsonFile

        tool_conf = ToolConfJsonFile(str(self.config))
        registration = tool_conf.find_registration_by_params(ISSUER, CLIENT_ID)
        grades = AssignmentsGradesService(ServiceConnector(registration), self.ags_claim)
        timestamp = datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z"
        grade = (Grade().set_score_given(SCORE["score_given"])
                 .set_score_maximum(SCORE["score_maximum"]).set_timestamp(timestamp)
                 .set_activity_progress("Completed").set_grading_progress("FullyGraded")
                 .set_user_id(sub).set_comment(str(SCORE["comment"])))
        grades.put_grade(grade)

    def run(self, count: int) -> float:
        subs = [f"stock-{self.sent + i}" for i in range(count)]
        for sub in subs:
            self.lms.add_member(sub)
        started = time.perf_counter()
        for sub in subs:
            self.grade(sub)
        seconds = time.perf_counter() - started
        self.sent += count
        return seconds


# ---------------------------------------------------------------------------------------
# ours
# ---------------------------------------------------------------------------------------
class Ours:
    name = "ours (outbox)"

    def __init__(self, directory: Path, lms: Any, line_item: str) -> None:
        from leadership_pods import models  # noqa: F401  (every table on Base.metadata)
        from leadership_pods.app import create_app
        from leadership_pods.config.database import Base
        from leadership_pods.lti_tool.keys import ToolKeyService
        from leadership_pods.lti_tool.registry import PlatformRegistry, PlatformSpec
        from leadership_pods.lti_tool.services import TokenService
        from leadership_pods.passport_sync.worker import make_worker

        TokenService.forget()  # a cold token cache
        self.app = create_app({
            "testing": True, "database_url": f"sqlite:///{directory / 'bench.sqlite3'}",
            "secret_key": "bench-secret-" + "x" * 20, "base_url": TOOL_BASE_URL,
            "instance_path": directory / "instance", "demo": False,
        })
        quiet_logs()
        ext = self.app.extensions["leadership_pods"]
        self.db = ext["db"]
        Base.metadata.create_all(self.db.engine)
        with self.db.transaction() as session:
            platform, _ = PlatformRegistry(session).add(PlatformSpec(
                issuer=ISSUER, client_id=CLIENT_ID, auth_login_url=lms.base_url + "/authorize",
                auth_token_url=lms.token_url, key_set_url=lms.base_url + "/jwks",
                deployment_ids=(DEPLOYMENT_ID,)))
            self.platform_id = platform.id
            self.deployment_pk = platform.deployments[0].id
            self.signing_key = ToolKeyService(session, ext["cipher"]).signing_key()
        self.lms = lms
        self.line_item = line_item
        self.worker = make_worker(self.db, ext["http"], lambda: self.signing_key,
                                  timeout=10.0, batch_size=10)
        self.placement_id, self.course_pk = self._placement()
        self.queued = 0
        self.delivered = 0

    def _placement(self) -> tuple[int, int]:
        from leadership_pods.lti_tool.models import LmsContext
        from leadership_pods.pods.models import Placement

        with self.db.transaction() as session:
            course = LmsContext(platform_id=self.platform_id, context_id="311", title="Lead")
            session.add(course)
            session.flush()
            placement = Placement(platform_id=self.platform_id, context_key="311",
                                  context_pk=course.id, resource_link_id="rl-1",
                                  pod_slug="budget-balancing", title="Budget Balancing pod",
                                  video_overrides={})
            session.add(placement)
            session.flush()
            return placement.id, course.id

    def queue(self, count: int) -> None:
        """``count`` residents' released grades queued, as the grading code does (untimed)."""
        from leadership_pods.lti_tool.claims import AgsEndpoint, LaunchContext, UserInfo
        from leadership_pods.lti_tool.models import LmsUser
        from leadership_pods.passport_sync import enqueue_score
        from leadership_pods.pods.models import Attempt

        scopes = ("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                  "https://purl.imsglobal.org/spec/lti-ags/scope/score")
        with self.db.transaction() as session:
            for i in range(self.queued, self.queued + count):
                sub = f"resident-{i}"
                self.lms.add_member(sub)
                user = LmsUser(platform_id=self.platform_id, sub=sub)
                session.add(user)
                session.flush()
                attempt = Attempt(placement_id=self.placement_id, user_id=user.id, answers={},
                                  status="submitted")
                session.add(attempt)
                session.flush()
                launch = LaunchContext(
                    launch_id=f"launch-{i}", platform_id=self.platform_id, issuer=ISSUER,
                    client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID,
                    deployment_pk=self.deployment_pk, message_type="LtiResourceLinkRequest",
                    role="resident", lti_roles=(), user=UserInfo(sub=sub), user_pk=user.id,
                    course_pk=self.course_pk, resource_link_id="rl-1",
                    ags=AgsEndpoint(scopes=scopes, lineitems=self.lms.lineitems_url,
                                    lineitem=self.line_item))
                if enqueue_score(session, attempt_id=attempt.id, launch=launch,
                                 **SCORE) is None:
                    raise BenchError("a score was not queued")
        self.queued += count

    def run(self, count: int) -> float:
        self.queue(count)
        started = time.perf_counter()
        stats = self.worker.run_once()
        seconds = time.perf_counter() - started
        if stats.delivered != count:
            raise BenchError(f"ours delivered {stats.delivered} of {count}: {stats}")
        self.delivered += count
        return seconds


# ---------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------
class Tally:
    def __init__(self, side: Any) -> None:
        self.side = side
        self.scores = 0        # timed scores
        self.seconds = 0.0
        self.all_scores = 0    # every score delivered, warm-up included
        self.token_requests = 0

    def run(self, count: int, *, timed: bool) -> float:
        before = self.side.lms.token_requests
        seconds: float = self.side.run(count)
        self.token_requests += self.side.lms.token_requests - before
        self.all_scores += count
        if timed:
            self.scores += count
            self.seconds += seconds
        return seconds

    @property
    def rate(self) -> float:
        return self.scores / self.seconds if self.seconds else 0.0

    @property
    def tokens_per_1000(self) -> float:
        return 1000.0 * self.token_requests / self.all_scores if self.all_scores else 0.0


def _num(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scores", type=int, default=300,
                        help="timed scores per side (default 300)")
    parser.add_argument("--block", type=int, default=50,
                        help="scores per side per alternation (default 50)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="untimed scores per side first (default 10)")
    parser.add_argument("--token-run", type=int, default=1000,
                        help="scores ours delivers in all, within one token lifetime, for the "
                             "token count (default 1000)")
    parser.add_argument("--budget", type=float, default=55.0,
                        help="stop alternating after this many seconds (default 55)")
    args = parser.parse_args(argv)

    from tests.support.http_server import LocalServer

    quiet_logs()
    started = time.perf_counter()
    sides: dict[str, Any] = {}
    lms = make_lms(lambda: {"keys": [sides["ours"].signing_key.public_jwk, sides["stock"].jwk()]})
    with tempfile.TemporaryDirectory(prefix="bench-passback-") as tmp, \
            LocalServer(lms) as server:
        lms.base_url = server.url
        directory = Path(tmp)
        (directory / "ours").mkdir()
        (directory / "stock").mkdir()
        our_item = lms.add_line_item("Budget Balancing pod", 10)
        stock_item = lms.add_line_item("Score", 10)
        scopes = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                  "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                  "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                  "https://purl.imsglobal.org/spec/lti-ags/scope/score"]
        sides["ours"] = Ours(directory / "ours", lms, our_item)
        sides["stock"] = Stock(directory / "stock", lms, {
            "scope": scopes, "lineitems": lms.lineitems_url, "lineitem": stock_item})
        ours, stock = Tally(sides["ours"]), Tally(sides["stock"])

        for tally in (ours, stock):
            tally.run(args.warmup, timed=False)
        blocks = 0
        block_ratios: list[float] = []
        order = (ours, stock)
        while ours.scores < args.scores:
            n = min(args.block, args.scores - ours.scores)
            seconds = {id(t): t.run(n, timed=True) for t in order}
            block_ratios.append(seconds[id(stock)] / seconds[id(ours)])
            order = (order[1], order[0])
            blocks += 1
            if time.perf_counter() - started > args.budget:
                print(f"(time budget of {args.budget:.0f}s reached after {blocks} blocks per "
                      "side)", file=sys.stderr)
                break
        # the same worker goes on, untimed, to a token lifetime's worth of scores
        while ours.all_scores < args.token_run:
            ours.run(min(200, args.token_run - ours.all_scores), timed=False)

        results = {n: len(item.results) for n, item in lms.line_items.items()}
        if results != {1: ours.all_scores, 2: stock.all_scores}:
            raise BenchError(f"the LMS holds {results} results; expected ours "
                             f"{ours.all_scores}, stock {stock.all_scores}")
        sides["ours"].db.dispose()

    elapsed = time.perf_counter() - started
    print(f"Grade passback to a local AGS endpoint (127.0.0.1), {ours.scores} timed scores per "
          f"side in blocks of {args.block} (alternating), after {args.warmup} warm-up each; "
          f"run {elapsed:.1f}s")
    print("scores/s = timed scores / wall seconds delivering them; token requests counted at "
          "the LMS's token endpoint\nfrom a cold start over every score the side delivered "
          "(ours: one worker, continued to the token run)")
    header = (f"{'side':<16}{'scores':>8}{'seconds':>9}{'scores/s':>10}{'ms/score':>10}"
              f"{'token requests':>18}{'per 1000':>10}")
    print(header)
    print("-" * len(header))
    for tally in (ours, stock):
        ms = 1000.0 * tally.seconds / tally.scores if tally.scores else 0.0
        print(f"{tally.side.name:<16}{tally.scores:>8}{tally.seconds:>9.2f}{tally.rate:>10.1f}"
              f"{ms:>10.2f}{tally.token_requests:>9} / {tally.all_scores:<6}"
              f"{tally.tokens_per_1000:>10.1f}")
    block_ratios.sort()
    print(f"ours/stock rate per block of {args.block}: min {block_ratios[0]:.2f}, "
          f"median {block_ratios[len(block_ratios) // 2]:.2f}, max {block_ratios[-1]:.2f}")
    rate_ratio = ours.rate / stock.rate if stock.rate else 0.0
    token_ratio = ours.tokens_per_1000 / stock.tokens_per_1000 if stock.tokens_per_1000 else 0.0
    print(f"BENCH passback-rate value={_num(ours.rate)} baseline={_num(stock.rate)} "
          f"ratio={rate_ratio:.2f} target=>=1.5 unit=scores/s")
    print(f"BENCH token-requests-per-1000 value={_num(ours.tokens_per_1000)} "
          f"baseline={_num(stock.tokens_per_1000)} ratio={token_ratio:.4f} "
          f"target=value<=1 unit=requests")
    return 0


if __name__ == "__main__":
    run(main)
