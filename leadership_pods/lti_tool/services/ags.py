"""Assignment and Grade Services (AGS 2.0): line items, scores and results.

A *line item* is a column of the LMS gradebook (in Canvas, an assignment). A course's
line items are listed in its *line items container*, the ``lineitems`` URL of the
launch's AGS claim; the ``lineitem`` URL is the one tied to the launched link. A
*score* is what the tool posts for one user on a line item (``<line item>/scores``);
the platform turns the latest score into a *result*, the grade it shows
(``<line item>/results``), possibly on its own scale (Moodle reports 7/10 as 70/100).

Moodle's service URLs carry a query string (``…/lineitems/2/lineitem?type_id=1``), so
``/scores`` and ``/results`` go into the path, before the ``?``. Platforms refuse a
score whose ``timestamp`` is older than the one they hold, so timestamps are kept
strictly increasing per (line item, user).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from ...config.database import utcnow
from ..claims import present
from ..errors import PlatformServiceError
from .http import ServiceHttp
from .tokens import PlatformEndpoints

log = logging.getLogger(__name__)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
#: Moodle refuses a GET of line items without the read-only scope named explicitly
_LINEITEM_READ_WRITE = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
_ONE_MS = timedelta(milliseconds=1)


def service_url(url: str, suffix: str) -> str:
    """``url`` with ``/suffix`` added to its path, before any query string (Moodle)."""
    base, sep, query = url.partition("?")
    return f"{base.rstrip('/')}/{suffix}{sep}{query}"


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """``url`` with ``params`` appended to its query; the existing query is left as is."""
    extra = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}"
                     for k, v in params.items() if v is not None)
    if not extra:
        return url
    joiner = "" if url.endswith(("?", "&")) else ("&" if "?" in url else "?")
    return url + joiner + extra


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class LineItem:
    """A gradebook column; ``id`` is its URL."""

    id: str
    label: str
    score_maximum: float
    resource_link_id: str | None = None
    resource_id: str | None = None
    tag: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> LineItem:
        if not isinstance(data, Mapping) or not present(data.get("id")):
            raise PlatformServiceError(f"the platform sent a line item without an id: {data!r}")
        return cls(id=str(data["id"]), label=str(data.get("label") or ""),
                   score_maximum=_number(data.get("scoreMaximum")) or 0.0,
                   resource_link_id=present(data.get("resourceLinkId")),
                   resource_id=present(data.get("resourceId")), tag=present(data.get("tag")))


@dataclass(frozen=True)
class ScoreSubmission:
    """One score for one user. ``score_given`` and ``score_maximum`` come together or not at all.

    ``canvas_submission`` is Canvas's optional extension (``new_submission``,
    ``submission_type``, ``submitted_at``, …); other platforms ignore it.
    """

    user_id: str
    score_given: float | None = None
    score_maximum: float | None = None
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    comment: str | None = None
    canvas_submission: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.user_id:
            raise ValueError("a score needs the LMS user id")
        if (self.score_given is None) != (self.score_maximum is None):
            raise ValueError("score_given and score_maximum go together (both or neither)")
        if self.score_maximum is not None and not self.score_maximum > 0:
            raise ValueError("score_maximum must be greater than 0")
        if self.score_given is not None and not self.score_given >= 0:
            raise ValueError("score_given must not be negative")
        if self.activity_progress not in ACTIVITY_PROGRESS:
            raise ValueError(f"activity_progress must be one of {', '.join(ACTIVITY_PROGRESS)}")
        if self.grading_progress not in GRADING_PROGRESS:
            raise ValueError(f"grading_progress must be one of {', '.join(GRADING_PROGRESS)}")

    def to_json(self, timestamp: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {
            "userId": self.user_id,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": format_timestamp(timestamp),
        }
        if self.score_given is not None:
            body["scoreGiven"] = self.score_given
            body["scoreMaximum"] = self.score_maximum
        if self.comment is not None:
            body["comment"] = self.comment
        if self.canvas_submission is not None:
            body[CANVAS_SUBMISSION] = dict(self.canvas_submission)
        return body


@dataclass(frozen=True)
class Result:
    """The grade the platform holds for a user on a line item, on its own scale."""

    user_id: str
    result_score: float | None = None
    result_maximum: float | None = None
    comment: str | None = None
    id: str | None = None
    score_of: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Result | None:
        if not isinstance(data, Mapping) or not present(data.get("userId")):
            return None
        return cls(user_id=str(data["userId"]), result_score=_number(data.get("resultScore")),
                   result_maximum=_number(data.get("resultMaximum")),
                   comment=present(data.get("comment")), id=present(data.get("id")),
                   score_of=present(data.get("scoreOf")))


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds: ``2025-03-01T12:00:00.123+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _to_ms(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("score timestamps must be timezone-aware")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class ScoreClock:
    """Score timestamps, strictly increasing per (line item, user) within this process.

    Two scores in the same millisecond (or a clock stepping back) get the last
    timestamp plus 1 ms. ``after`` is a floor from elsewhere (say, the timestamp last
    sent, as recorded by the outbox): the result is strictly later.
    """

    MAX_KEYS = 10_000

    def __init__(self, now: Callable[[], datetime] = utcnow) -> None:
        self.now = now
        self._last: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def next(self, line_item: str, user_id: str, after: datetime | None = None) -> datetime:
        now = _to_ms(self.now())
        with self._lock:
            floors = [f for f in (self._last.get((line_item, user_id)),
                                  _to_ms(after) if after is not None else None) if f is not None]
            floor = max(floors, default=None)
            stamp = now if floor is None or now > floor else floor + _ONE_MS
            self._last[(line_item, user_id)] = stamp
            if len(self._last) > self.MAX_KEYS:  # entries in the past no longer matter
                self._last = {k: v for k, v in self._last.items() if v >= now}
        return stamp


_default_clock = ScoreClock()


class AgsClient:
    """Line items, scores and results on one platform registration."""

    def __init__(self, http: ServiceHttp, platform: PlatformEndpoints, *,
                 clock: ScoreClock | None = None) -> None:
        self.http = http
        self.platform = platform
        self.clock = clock or _default_clock

    def line_items(self, lineitems_url: str, *, resource_link_id: str | None = None,
                   resource_id: str | None = None, tag: str | None = None,
                   scopes: tuple[str, ...] = (SCOPE_LINEITEM_READONLY,)) -> list[LineItem]:
        """The container's line items, filtered by the platform, every page.

        ``scopes``: the token's scopes; the read-only one by default.
        """
        url = with_query(lineitems_url, {"resource_link_id": resource_link_id,
                                         "resource_id": resource_id, "tag": tag})
        items: list[LineItem] = []
        for page in self.http.pages(self.platform, scopes, url,
                                    accept=LINEITEM_CONTAINER_MEDIA_TYPE):
            if not isinstance(page, list):
                raise PlatformServiceError(f"{url} did not answer with a list of line items")
            items.extend(LineItem.from_json(entry) for entry in page)
        return items

    def find_or_create_line_item(self, lineitems_url: str, *, resource_link_id: str,
                                 resource_id: str, label: str, score_maximum: float,
                                 tag: str | None = None) -> LineItem:
        """The line item of this link and resource, created when the platform has none."""
        found = [
            item for item in self.line_items(lineitems_url, resource_link_id=resource_link_id,
                                             resource_id=resource_id,
                                             scopes=_LINEITEM_READ_WRITE)
            # platforms may ignore a filter: check again here
            if item.resource_link_id == resource_link_id and item.resource_id == resource_id
            and (tag is None or item.tag == tag)
        ]
        if found:
            if len(found) > 1:
                log.warning("%d line items for link %s and resource %s; using %s",
                            len(found), resource_link_id, resource_id, found[0].id)
            return found[0]
        body: dict[str, Any] = {"scoreMaximum": score_maximum, "label": label,
                                "resourceLinkId": resource_link_id, "resourceId": resource_id}
        if tag is not None:
            body["tag"] = tag
        response = self.http.request(self.platform, _LINEITEM_READ_WRITE, "POST", lineitems_url,
                                     accept=LINEITEM_MEDIA_TYPE,
                                     content_type=LINEITEM_MEDIA_TYPE, body=body)
        item = LineItem.from_json(ServiceHttp.json_of(response, lineitems_url))
        log.info("created line item %s for link %s (resource %s)", item.id, resource_link_id,
                 resource_id)
        return item

    def post_score(self, lineitem_url: str, score: ScoreSubmission, *,
                   after: datetime | None = None) -> datetime:
        """Post a score; returns the timestamp it carried (strictly after ``after``)."""
        timestamp = self.clock.next(lineitem_url, score.user_id, after)
        self.http.request(self.platform, (SCOPE_SCORE,), "POST",
                          service_url(lineitem_url, "scores"), accept="application/json",
                          content_type=SCORE_MEDIA_TYPE, body=score.to_json(timestamp))
        log.info("score posted on %s for user %s (%s, %s)", lineitem_url, score.user_id,
                 score.activity_progress, score.grading_progress)
        return timestamp

    def results(self, lineitem_url: str, user_id: str | None = None) -> list[Result]:
        """The platform's results on a line item (one user's, when given), every page."""
        url = with_query(service_url(lineitem_url, "results"), {"user_id": user_id})
        results: list[Result] = []
        for page in self.http.pages(self.platform, (SCOPE_RESULT_READONLY,), url,
                                    accept=RESULT_CONTAINER_MEDIA_TYPE):
            if not isinstance(page, list):
                raise PlatformServiceError(f"{url} did not answer with a list of results")
            results.extend(r for entry in page if (r := Result.from_json(entry)) is not None)
        return results
