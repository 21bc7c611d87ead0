"""Delivering one outbox event. ``ags_score``: post the queued score to the LMS (AGS).

A deliverer either returns (delivered) or raises :class:`DeliveryError` saying whether
another try may succeed and what the LMS said. It runs outside any transaction; the
worker records the outcome.

The score goes out exactly as queued, with its queued timestamp, so a resend after a
crash is the same score to the LMS. The line item is the payload's ``lineitem``, or
the one found (or created) in ``lineitems`` by resource link and pod, remembered per
worker so a course's scores need one lookup.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..config.database import Database
from ..lti_tool.errors import PlatformServiceError
from ..lti_tool.models import Platform
from ..lti_tool.services import AgsClient, PlatformEndpoints, ServiceHttp
from ..lti_tool.services.ags import SCOPE_SCORE, SCORE_MEDIA_TYPE, service_url
from .outbox import ClaimedEvent
from .retry import is_retryable_status
from .scores import ScorePayload

log = logging.getLogger(__name__)

_LMS_MESSAGE = re.compile(r"answered \d{3}(?: \(busy\))?: (.*)\Z", re.S)
_TIMED_OUT = re.compile(r"timed out after ([\d.]+)s")


@dataclass(frozen=True)
class Delivered:
    http_status: int | None = None
    #: where it went (the line item URL for a score), for the log
    target: str | None = None


class DeliveryError(Exception):
    """A delivery that did not go through; ``message`` is for people."""

    def __init__(self, message: str, *, retryable: bool, http_status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.http_status = http_status
        self.retry_after = retry_after


class Deliverer(Protocol):
    """Delivers events of one kind."""

    def deliver(self, event: ClaimedEvent) -> Delivered: ...


def delivery_error(exc: PlatformServiceError) -> DeliveryError:
    """What a platform service failure means for the outbox, in words for faculty."""
    status = exc.http_status
    text = exc.message
    if status is not None:
        match = _LMS_MESSAGE.search(text)
        said = match.group(1).strip() if match else ""
        who = (f"the LMS refused the tool's access token request ({status})"
               if text.startswith("token request") else f"the LMS answered {status}")
        message = f"{who}: {said}" if said else who
        return DeliveryError(message, retryable=exc.retryable or is_retryable_status(status),
                             http_status=status, retry_after=exc.retry_after)
    if timed_out := _TIMED_OUT.search(text):
        message = f"the LMS did not answer within {float(timed_out.group(1)):g} s"
    elif exc.retryable:
        failure = text.rsplit("(", 1)[-1].rstrip(")") if text.endswith(")") else "network error"
        message = f"could not reach the LMS ({failure})"
    else:
        message = text
    return DeliveryError(message, retryable=exc.retryable, retry_after=exc.retry_after)


class AgsScoreDelivery:
    """Posts ``ags_score`` events. One per worker: it shares the worker's tokens."""

    PLATFORM_TTL = 60.0

    def __init__(self, db: Database, http: ServiceHttp, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.http = http
        self.monotonic = monotonic
        self._platforms: dict[int, tuple[float, PlatformEndpoints | None]] = {}
        self._line_items: dict[tuple[int, str, str, str], str] = {}
        self._lock = threading.Lock()

    def deliver(self, event: ClaimedEvent) -> Delivered:
        try:
            payload = ScorePayload.from_data(event.payload)
            body = payload.submission().to_json(payload.moment)
        except (TypeError, ValueError) as exc:
            raise DeliveryError(f"the queued score cannot be sent: {exc}",
                                retryable=False) from exc
        endpoints = self._endpoints(payload.platform_id)
        if endpoints is None:
            raise DeliveryError("the LMS registration was removed or disabled",
                                retryable=False)
        try:
            line_item = payload.lineitem or self._line_item(endpoints, payload)
            response = self.http.request(endpoints, (SCOPE_SCORE,), "POST",
                                         service_url(line_item, "scores"),
                                         accept="application/json",
                                         content_type=SCORE_MEDIA_TYPE, body=body)
        except PlatformServiceError as exc:
            self._forget_line_item(payload)
            raise delivery_error(exc) from exc
        log.info("score for user %s on %s delivered (%s, %s, event %s)", payload.user_id,
                 line_item, payload.activity_progress, payload.grading_progress, event.id)
        return Delivered(http_status=response.status_code, target=line_item)

    # -- the registration and the line item, remembered ---------------------------------
    def _endpoints(self, platform_id: int) -> PlatformEndpoints | None:
        now = self.monotonic()
        with self._lock:
            cached = self._platforms.get(platform_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        with self.db.transaction() as session:
            platform = session.get(Platform, platform_id)
            endpoints = (PlatformEndpoints.from_platform(platform)
                         if platform is not None and platform.active else None)
        with self._lock:
            self._platforms[platform_id] = (now + self.PLATFORM_TTL, endpoints)
        return endpoints

    @staticmethod
    def _line_item_key(payload: ScorePayload) -> tuple[int, str, str, str]:
        return (payload.platform_id, payload.lineitems or "", payload.resource_link_id or "",
                payload.pod_slug or "")

    def _line_item(self, endpoints: PlatformEndpoints, payload: ScorePayload) -> str:
        key = self._line_item_key(payload)
        with self._lock:
            known = self._line_items.get(key)
        if known is not None:
            return known
        assert payload.lineitems and payload.resource_link_id and payload.pod_slug
        item = AgsClient(self.http, endpoints).find_or_create_line_item(
            payload.lineitems, resource_link_id=payload.resource_link_id,
            resource_id=payload.pod_slug, label=payload.label or payload.pod_slug,
            score_maximum=payload.line_item_maximum)
        with self._lock:
            self._line_items[key] = item.id
        return item.id

    def _forget_line_item(self, payload: ScorePayload) -> None:
        if not payload.lineitem:
            with self._lock:
                self._line_items.pop(self._line_item_key(payload), None)
