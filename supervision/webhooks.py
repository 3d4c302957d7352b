"""Outbound webhooks: what happened in a region, told to the integrators its office registered.

- Recorded in the transaction of the change: one WebhookEvent per event that has at least one
  subscriber, and one outbox Delivery (channel "webhook") per enabled endpoint of a region containing
  it that subscribed to its type. A change that rolls back records nothing.
- Sent after commit by the existing outbox (supervision/outbox.py: `publish_on_commit`, `deliver`,
  backoff, `failed` after OUTBOX_MAX_ATTEMPTS, the office's failed-deliveries page, retry by hand).
  A receiver's 4xx other than 408/429 fails the delivery at once; 5xx and timeouts are retried.
- Set-based: many events at once (an import, through tasks.seams.handoffs_told_together) cost a few
  statements in all, not a few per event: the endpoints are read once, the events and deliveries
  inserted in bulk.
- The body is built from the stored event (channels.webhook_body): the same bytes on every retry, and
  `id` (also the X-WinterAction-Delivery header) is the idempotency id a receiver deduplicates on.

| type | fired by | its region | data |
|---|---|---|---|
| task.created | tasks.services.task_create | the campaign's owner | `task_data` |
| task.updated | any other step on the task's timeline that changes it (`TASK_UPDATES`) | 〃 | `task_data` |
| task.closed | tasks.services.task_close | 〃 | `task_data` |
| progress.reported | tasks.services.progress_report | 〃 | `report_data` |
| order.issued, order.closed | supervision.services.order_issue, order_verify | the addressed unit | `order_data` |
| bulletin.issued | supervision.services.bulletin_issue | the bulletin's region | `bulletin_data` |
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tasks.models import Campaign, EventKind
from tasks.seams import Change

from . import outbox
from .models import Channel, Delivery, WebhookEndpoint, WebhookEvent, WebhookEventType

# Rows per INSERT.
CHUNK = 500

# The timeline steps that change what a task says (its status, dates, owners, progress).
TASK_UPDATES = frozenset(
    {
        EventKind.UPDATED,
        EventKind.ASSIGNED,
        EventKind.MILESTONE_ADDED,
        EventKind.MILESTONE_DONE,
        EventKind.EXTENSION_APPROVED,
        EventKind.STATUS_CHANGED,
        EventKind.CLOSE_REQUESTED,
        EventKind.RETURNED,
        EventKind.CANCELLED,
    }
)
TASK_TYPES = {
    EventKind.CREATED: WebhookEventType.TASK_CREATED,
    EventKind.CLOSED: WebhookEventType.TASK_CLOSED,
    EventKind.PROGRESS_REPORTED: WebhookEventType.PROGRESS_REPORTED,
    **{kind: WebhookEventType.TASK_UPDATED for kind in TASK_UPDATES},
}


@dataclass(frozen=True)
class Occurrence:
    """An event before it is recorded: its type, the path of the unit whose region it belongs to, and
    its data (JSON)."""

    type: str
    path: str
    data: dict


# ---- What integrators receive ---------------------------------------------------------------------------


def _api_url(name: str, pk: int) -> str:
    return f"{settings.SITE_URL}{reverse(f'api:{name}-detail', args=[pk])}"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def task_data(task) -> dict:
    """A task, compactly: read the full resource at `url` (GET /api/v1/tasks/{id}/)."""
    return {
        "id": task.pk,
        "url": _api_url("task", task.pk),
        "campaign": task.campaign_id,
        "code": task.code,
        "title": task.title,
        "lead_unit": task.lead_unit_id,
        "status": task.status,
        "progress": task.progress,
        "start_date": _iso(task.start_date),
        "deadline": _iso(task.deadline),
        "updated_at": _iso(task.updated_at),
    }


def report_data(task, event) -> dict:
    """A progress report: its id and URL, the reporting unit, the percent, and the task."""
    report_id = event.after.get("report_id")
    return {
        "id": report_id,
        "url": _api_url("progress-report", report_id),
        "unit": event.after.get("unit_id"),
        "percent": event.after.get("percent"),
        "submitted_at": _iso(event.at),
        "task": task_data(task),
    }


def order_data(order) -> dict:
    return {
        "id": order.pk,
        "url": _api_url("supervision-order", order.pk),
        "number": order.number,
        "unit": order.unit_id,
        "group": order.group_id,
        "status": order.status,
        "urgency": order.urgency,
        "deadline": _iso(order.deadline),
        "issued_at": _iso(order.issued_at),
        "closed_at": _iso(order.closed_at),
    }


def bulletin_data(bulletin) -> dict:
    return {
        "id": bulletin.pk,
        "url": _api_url("bulletin", bulletin.pk),
        "campaign": bulletin.campaign_id,
        "region": bulletin.region_id,
        "kind": bulletin.kind,
        "year": bulletin.year,
        "number": bulletin.number,
        "title": bulletin.title,
        "issued_at": _iso(bulletin.issued_at),
    }


# ---- Recording --------------------------------------------------------------------------------------------


def _subscribers(endpoints: list[WebhookEndpoint], occurrence: Occurrence) -> list[WebhookEndpoint]:
    return [
        endpoint
        for endpoint in endpoints
        if occurrence.type in endpoint.events and occurrence.path.startswith(endpoint.region.path)
    ]


def _enabled_endpoints() -> list[WebhookEndpoint]:
    return list(
        WebhookEndpoint.objects.filter(enabled=True)
        .select_related("region")
        .only("id", "url", "events", "region__path")
    )


def record(occurrences: Sequence[Occurrence], endpoints: list[WebhookEndpoint] | None = None) -> int:
    """Record the events that someone subscribed to, with their deliveries, inside the caller's
    transaction, and publish the deliveries after commit. Returns how many deliveries were made."""
    if endpoints is None:
        endpoints = _enabled_endpoints()
    if not endpoints or not occurrences:
        return 0
    now = timezone.now()
    wanted = [
        (occurrence, subscribers)
        for occurrence in occurrences
        if (subscribers := _subscribers(endpoints, occurrence))
    ]
    if not wanted:
        return 0
    events = WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(type=occurrence.type, data=occurrence.data, created_at=now)
            for occurrence, _s in wanted
        ],
        batch_size=CHUNK,
    )
    deliveries = [
        Delivery(
            webhook_event=event,
            webhook=endpoint,
            channel=Channel.WEBHOOK,
            address=endpoint.url,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        for event, (_occurrence, subscribers) in zip(events, wanted, strict=True)
        for endpoint in subscribers
    ]
    Delivery.objects.bulk_create(deliveries, batch_size=CHUNK)
    ids = [event.pk for event in events]
    for start in range(0, len(ids), CHUNK):
        outbox.publish_on_commit(Q(webhook_event_id__in=ids[start : start + CHUNK]))
    return len(deliveries)


def on_task_changes(changes: Sequence[Change]) -> None:
    """The listener registered in tasks/seams.py: steps on task timelines, one or many (an import)."""
    typed = [(change, TASK_TYPES[change.event.kind]) for change in changes if change.event.kind in TASK_TYPES]
    if not typed:
        return
    endpoints = _enabled_endpoints()
    if not endpoints:
        return
    campaign_ids = {change.task.campaign_id for change, _type in typed}
    paths = dict(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "owner__path"))
    record(
        [
            Occurrence(
                type=type_,
                path=paths[change.task.campaign_id],
                data=report_data(change.task, change.event)
                if type_ == WebhookEventType.PROGRESS_REPORTED
                else task_data(change.task),
            )
            for change, type_ in typed
        ],
        endpoints,
    )


def order_changed(order, type_: str) -> None:
    """order.issued / order.closed, for the region of the addressed unit."""
    record([Occurrence(type=type_, path=order.unit.path, data=order_data(order))])


def bulletin_issued(bulletin) -> None:
    record(
        [
            Occurrence(
                type=WebhookEventType.BULLETIN_ISSUED, path=bulletin.region.path, data=bulletin_data(bulletin)
            )
        ]
    )


def subscribable(values: Iterable[str]) -> list[str]:
    """The event types among `values`, in their documented order."""
    values = set(values)
    return [value for value in WebhookEventType.values if value in values]
