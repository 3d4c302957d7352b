"""The outbox: deliveries recorded in the database, published to the broker after commit, sent by
delivery jobs in batches, swept up when they were not.

- A Delivery row is written in the same transaction as what caused it (supervision/reminders.py; an
  outbound webhook's in supervision/webhooks.py).
- After commit, `publish` hands batches of ids to the `deliver_batch` job (by its name: jobs.py
  depends on this module, not the reverse). Publishing is best effort
  with short timeouts (BROKER_PUBLISH_TIMEOUT_SECONDS, no publish retries): with the broker down a
  saved change stays saved, the request stays fast, and the rows stay pending with no `enqueued_at`.
- `sweep` (every OUTBOX_SWEEP_SECONDS) publishes again every pending delivery that is due and was
  never published, or was published more than OUTBOX_STALE_SECONDS ago and is still pending (its job
  was lost: a worker killed mid-batch, a Redis restart). Publishing twice is harmless: see below.
- `deliver` takes ONE row at a time with `SELECT … FOR UPDATE SKIP LOCKED`, still pending and due,
  sends it, and marks it sent in the same short transaction. Two jobs holding the same id cannot both
  send it: the second finds it locked or no longer pending. A row is marked sent only after the remote
  accepted it. The one window where a message can go out twice: the worker dies (or the database goes
  away) after the remote's answer and before our commit; the row is still pending and is sent again.
- A failure counts an attempt and sets `next_attempt_at` with exponential backoff and jitter
  (OUTBOX_BACKOFF_SECONDS doubling, at most OUTBOX_BACKOFF_MAX_SECONDS, which the settings keep below
  the broker's visibility timeout); after OUTBOX_MAX_ATTEMPTS the row is `failed` and shows on the
  office's failed-deliveries page, which can put it back (`retry`). A remote that says the address is
  wrong (HTTP 4xx other than 408 and 429) fails the row at once.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from winteraction.celery import app

from . import channels, messages
from .models import Delivery, DeliveryState

log = logging.getLogger(__name__)

DELIVER_BATCH_JOB = "winteraction.deliver_batch"  # supervision/jobs.py's name for its job


def _chunks(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _deliver_batch_job():
    """The delivery job, found by its name in the Celery app's registry: supervision/jobs.py imports
    this module (its jobs call `deliver_batch` and `sweep`), never the other way round. The app
    registers the jobs when Django starts (SupervisionConfig.ready imports supervision.jobs)."""
    return app.tasks[DELIVER_BATCH_JOB]


def publish(ids: list[int]) -> int:
    """Hand the deliveries to the broker in batches; returns how many were published. Never raises."""
    published = 0
    for chunk in _chunks(sorted(ids), settings.OUTBOX_BATCH_SIZE):
        try:
            Delivery.objects.filter(pk__in=chunk, state=DeliveryState.PENDING).update(
                enqueued_at=timezone.now()
            )
            _deliver_batch_job().apply_async(args=[chunk], retry=False)
        except Exception:
            log.warning(
                "outbox: could not publish %d deliveries; the sweeper will retry", len(chunk), exc_info=True
            )
            Delivery.objects.filter(pk__in=chunk, state=DeliveryState.PENDING).update(enqueued_at=None)
            break
        published += len(chunk)
    return published


def publish_on_commit(deliveries: Q) -> None:
    """After the current transaction commits, publish the pending deliveries matching `deliveries`."""

    def later():
        try:
            ids = list(
                Delivery.objects.filter(
                    deliveries, state=DeliveryState.PENDING, enqueued_at__isnull=True
                ).values_list("pk", flat=True)
            )
            publish(ids)
        except Exception:
            log.warning("outbox: publishing after commit failed; the sweeper will retry", exc_info=True)

    transaction.on_commit(later)


def sweep() -> int:
    """Publish again what is pending, due, and not (or no longer) in the broker's hands."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_SECONDS)
    ids = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .values_list("pk", flat=True)
    )
    return publish(ids)


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure: doubling, capped, with jitter (half to full)."""
    ceiling = min(settings.OUTBOX_BACKOFF_MAX_SECONDS, settings.OUTBOX_BACKOFF_SECONDS * 2 ** (attempts - 1))
    return ceiling * random.uniform(0.5, 1.0)


def deliver(pk: int) -> str | None:
    """Send one delivery if it is pending and due. Returns its new state, or None when skipped."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook_event", "webhook")
            .filter(pk=pk, state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        try:
            if delivery.webhook_event_id is not None:  # an event for an integrator (supervision/webhooks.py)
                channels.send_webhook(delivery)
            else:
                channels.send(delivery, messages.render(delivery.notification))
        except channels.PermanentError as exc:
            delivery.state = DeliveryState.FAILED
            delivery.last_error = str(exc)[:2000]
            log.warning("outbox: delivery %s refused for good: %s", pk, delivery.last_error)
        except Exception as exc:
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning(
                "outbox: delivery %s failed (attempt %d): %s",
                pk,
                delivery.attempts,
                delivery.last_error,
                exc_info=not isinstance(exc, channels.TransientError),
            )
            if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                delivery.state = DeliveryState.FAILED
            else:
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=backoff(delivery.attempts))
        else:
            delivery.state = DeliveryState.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.updated_at = timezone.now()
        delivery.save()
        return delivery.state


def deliver_batch(ids: list[int]) -> dict:
    """Send a batch; returns {"sent", "failed", "retry": [ids to try again], "wait": seconds}."""
    outcome = {"sent": 0, "failed": 0, "retry": [], "wait": 0.0}
    for pk in ids:
        try:
            state = deliver(pk)
        except Exception:
            log.exception("outbox: delivery %s could not be processed", pk)
            continue
        if state == DeliveryState.SENT:
            outcome["sent"] += 1
        elif state == DeliveryState.FAILED:
            outcome["failed"] += 1
        elif state == DeliveryState.PENDING:
            outcome["retry"].append(pk)
    if outcome["retry"]:
        due = Delivery.objects.filter(pk__in=outcome["retry"]).order_by("-next_attempt_at").first()
        wait = (due.next_attempt_at - timezone.now()).total_seconds() if due else 0
        outcome["wait"] = max(1.0, min(wait, settings.CELERY_VISIBILITY_TIMEOUT - 5))
    return outcome


@transaction.atomic
def retry(delivery: Delivery) -> Delivery:
    """The office puts a failed delivery back in the queue (attempts start again)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state != DeliveryState.FAILED:
        return delivery
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.enqueued_at = None
    delivery.updated_at = timezone.now()
    delivery.save()
    publish_on_commit(Q(pk=delivery.pk))
    return delivery


def send_pending_now() -> dict:
    """Send every pending, due delivery in this process (manage.py scan_reminders; no broker)."""
    ids = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    totals = {"sent": 0, "failed": 0, "retry": 0}
    for chunk in _chunks(ids, settings.OUTBOX_BATCH_SIZE):
        outcome = deliver_batch(chunk)
        totals["sent"] += outcome["sent"]
        totals["failed"] += outcome["failed"]
        totals["retry"] += len(outcome["retry"])
    return totals
