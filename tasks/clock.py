"""The services' clock: the moment a write says it happened.

Always now, except inside `story_at(moment)`, which the demo loader uses to write its story (a report
"three days ago") on the day it tells, timeline included: the timeline is append-only, so its rows
cannot be moved afterwards. Only the demo sets it; a request or a job never does. A context variable,
so it stays with the code that set it.
"""

import contextlib
import contextvars
import datetime

from django.utils import timezone

_story: contextvars.ContextVar[datetime.datetime | None] = contextvars.ContextVar("wa_story", default=None)


def now() -> datetime.datetime:
    return _story.get() or timezone.now()


@contextlib.contextmanager
def story_at(moment: datetime.datetime):
    """Writes inside are dated `moment` (aware, and not in the future)."""
    if timezone.is_naive(moment) or moment > timezone.now():
        raise ValueError("a story's moment is aware and past")
    token = _story.set(moment)
    try:
        yield
    finally:
        _story.reset(token)
