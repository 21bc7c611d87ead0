"""The Leadership Passport's delivery side: a transactional outbox and its worker.

Grading code queues a score with the grade, in the same transaction; the worker
(``leadership-pods worker``) passes it back to the LMS gradebook (AGS) with retries,
and faculty read each grade's delivery status::

    event = enqueue_score(session, attempt_id=attempt.id, activity_progress="Completed",
                          grading_progress="FullyGraded", score_given=8, score_maximum=10,
                          comment=feedback)
    delivery_status(session, attempt.id).text   # "in gradebook", "retrying — …", "failed — …"
    retry_failed(session, event.id)

Modules: ``models`` (the outbox table), ``outbox`` (enqueue, claim, record outcomes),
``scores`` (grade passback events), ``delivery`` (delivering one event), ``retry``
(backoff; pure), ``status`` (the words faculty read), ``worker`` (the loop), ``cli``.
"""

from .outbox import retry_failed
from .scores import enqueue_score
from .status import StatusLine, delivery_status

__all__ = ["StatusLine", "delivery_status", "enqueue_score", "retry_failed"]
