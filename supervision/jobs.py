"""Background jobs (Celery tasks; "task" is the domain's word, so they are jobs here). Thin: each calls
a service. The beat schedule is CELERY_BEAT_SCHEDULE in winteraction/settings.py.

Every job runs with acks_late and reject_on_worker_lost (settings): a worker killed mid-job leaves
its message to be delivered again, and the jobs are idempotent (unique keys, row locks), so running
one twice changes nothing. Retries back off exponentially with jitter, bounded, with every countdown
below the broker's visibility timeout.
"""

import datetime
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from . import outbox, reminders, snapshots
from .models import Delivery, DeliveryState
from .services import cards_propose

log = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="winteraction.scan_reminders", **RETRY)
def scan_reminders(day: str | None = None) -> dict:
    """The day's reminders (supervision/reminders.py); the deliveries are published after commit."""
    result = reminders.scan(datetime.date.fromisoformat(day) if day else None)
    return {**result, "day": result["day"].isoformat()}


@shared_task(name=outbox.DELIVER_BATCH_JOB, bind=True, **RETRY)
def deliver_batch(self, ids: list[int]) -> dict:
    """Send a batch of deliveries; those that failed and may be retried come back after their backoff."""
    outcome = outbox.deliver_batch(ids)
    if outcome["retry"] and not self.app.conf.task_always_eager:
        countdown = min(outcome["wait"], settings.CELERY_VISIBILITY_TIMEOUT - 5)
        try:
            self.apply_async(args=[outcome["retry"]], countdown=countdown, retry=False)
        except Exception:  # the rows stay pending: the sweeper publishes them again
            log.warning("outbox: could not schedule %d retries", len(outcome["retry"]), exc_info=True)
        else:
            # Due back at now + countdown: the sweeper leaves them alone until that is stale too.
            due = timezone.now() + timedelta(seconds=countdown)
            Delivery.objects.filter(pk__in=outcome["retry"], state=DeliveryState.PENDING).update(
                enqueued_at=due
            )
    return {key: outcome[key] for key in ("sent", "failed")} | {"retry": len(outcome["retry"])}


@shared_task(name="winteraction.sweep_outbox", **RETRY)
def sweep_outbox() -> int:
    """Publish again the deliveries nobody picked up (broker down, worker killed)."""
    return outbox.sweep()


@shared_task(name="winteraction.propose_cards", **RETRY)
def propose_cards() -> int:
    """The day's red and yellow card proposals; returns how many were proposed."""
    return cards_propose()


@shared_task(name="winteraction.snapshot_rankings", **RETRY)
def snapshot_rankings() -> int:
    """This week's ranking snapshots; returns how many ranking rows were written."""
    return snapshots.snapshot_rankings().rows
