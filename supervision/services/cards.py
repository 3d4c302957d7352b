"""Red and yellow cards (红黄牌): the system proposes, the supervision office decides.

- Yellow: a unit with CARD_YELLOW_ITEMS (2) or more items more than CARD_OVERDUE_DAYS (7) days overdue,
  counting the running tasks it leads and the supervision orders addressed to it that are not closed.
  "More than 7 days": deadline + 7 < today (Asia/Shanghai), so a task 7 days overdue does not count yet.
- Red: a yellow card issued at least CARD_RED_AFTER_DAYS (14) days ago and still standing (issued date
  + 14 <= today). Each yellow card leads to one red proposal at most.
- The supervision office of the unit's region (or a superuser) issues or dismisses a proposal, and lifts
  an issued card, always with a reason: proposed → issued | dismissed; issued → lifted.

A yellow card answers for the items that were overdue when it was proposed (`overdue_before`): once it
is dismissed or lifted, the unit is proposed again only when a further item passes the threshold, not
every morning for the same items.

The reads of cards (visible ones, those in force, the counts for the rankings) are in
supervision/selectors.py.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.models import RUNNING_STATUSES, Person, Task, Unit
from tasks.services import InvalidTransition, require_office_for, require_text

from ..models import OPEN_CARD_STATUSES, Card, CardKind, CardStatus, OrderStatus, SupervisionOrder

# ---- Thresholds ----------------------------------------------------------------------------------------


def overdue_days() -> int:
    return getattr(settings, "WINTERACTION_CARD_OVERDUE_DAYS", 7)


def yellow_items() -> int:
    return getattr(settings, "WINTERACTION_CARD_YELLOW_ITEMS", 2)


def red_after_days() -> int:
    return getattr(settings, "WINTERACTION_CARD_RED_AFTER_DAYS", 14)


# ---- Proposals ----------------------------------------------------------------------------------------

NO_DATE = Value(datetime.date.min)


def _per_unit(queryset: QuerySet, unit_field: str, aggregate) -> Subquery:
    return Subquery(queryset.order_by().values(unit_field).annotate(value=aggregate).values("value"))


def yellow_candidates(today: datetime.date) -> QuerySet[Unit]:
    """Units due a yellow proposal today, annotated with `overdue_tasks` and `overdue_orders` (one query)."""
    cutoff = today - datetime.timedelta(days=overdue_days())  # deadline < cutoff ⇔ deadline + N < today
    tasks = Task.objects.filter(lead_unit=OuterRef("pk"), status__in=RUNNING_STATUSES, deadline__lt=cutoff)
    orders = SupervisionOrder.objects.filter(unit=OuterRef("pk"), deadline__lt=cutoff).exclude(
        status=OrderStatus.CLOSED
    )
    # A yellow card (in any status) whose counted items include every item overdue now covers the unit.
    covered = Card.objects.filter(
        unit=OuterRef("pk"),
        kind=CardKind.YELLOW,
        overdue_before__gt=Coalesce(OuterRef("latest_task"), NO_DATE),
    ).filter(overdue_before__gt=Coalesce(OuterRef("latest_order"), NO_DATE))
    open_yellow = Card.objects.filter(
        unit=OuterRef("pk"), kind=CardKind.YELLOW, status__in=OPEN_CARD_STATUSES
    )
    return (
        Unit.objects.annotate(
            overdue_tasks=Coalesce(_per_unit(tasks, "lead_unit", Count("pk")), 0),
            overdue_orders=Coalesce(_per_unit(orders, "unit", Count("pk")), 0),
            latest_task=_per_unit(tasks, "lead_unit", Max("deadline")),
            latest_order=_per_unit(orders, "unit", Max("deadline")),
        )
        .annotate(overdue_items=F("overdue_tasks") + F("overdue_orders"))
        .filter(overdue_items__gte=yellow_items())
        .exclude(Exists(open_yellow))
        .exclude(Exists(covered))
        .order_by("path")
    )


def red_candidates(today: datetime.date) -> QuerySet[Card]:
    """Yellow cards standing long enough to be escalated, and not escalated before (one query)."""
    # Issued on day D qualifies when D + N <= today, i.e. before the midnight that starts day today - N + 1.
    first_day_too_late = today - datetime.timedelta(days=red_after_days() - 1)
    boundary = timezone.make_aware(datetime.datetime.combine(first_day_too_late, datetime.time.min))
    return Card.objects.filter(
        kind=CardKind.YELLOW, status=CardStatus.ISSUED, decided_at__lt=boundary, red_card__isnull=True
    ).exclude(
        Exists(Card.objects.filter(unit=OuterRef("unit"), kind=CardKind.RED, status__in=OPEN_CARD_STATUSES))
    )


@transaction.atomic
def cards_propose(*, today: datetime.date | None = None) -> int:
    """Propose the yellow and red cards due today; returns how many were proposed.

    Set-based and idempotent: one query finds the units per rule, one insert writes the proposals, and the
    unique constraints (one open card per unit and kind; one red card per yellow) make a second run the
    same day, or a concurrent one, propose nothing more.
    """
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=overdue_days())
    before = Card.objects.filter(proposed_on=today).count()
    yellow = [
        Card(
            unit_id=unit.pk,
            kind=CardKind.YELLOW,
            proposed_on=today,
            overdue_before=cutoff,
            overdue_tasks=unit.overdue_tasks,
            overdue_orders=unit.overdue_orders,
        )
        for unit in yellow_candidates(today).only("pk")
    ]
    red = [
        Card(unit_id=unit_id, kind=CardKind.RED, proposed_on=today, escalated_from_id=pk)
        for pk, unit_id in red_candidates(today).values_list("pk", "unit_id")
    ]
    Card.objects.bulk_create(yellow + red, ignore_conflicts=True)
    return Card.objects.filter(proposed_on=today).count() - before


# ---- Decisions ----------------------------------------------------------------------------------------


def _require_card_status(card: Card, allowed, action: str) -> None:
    if card.status not in allowed:
        raise InvalidTransition(
            _("该%(kind)s当前状态为“%(status)s”,不能%(action)s。")
            % {"kind": card.get_kind_display(), "status": card.get_status_display(), "action": action}
        )


def _locked_card(card: Card) -> Card:
    return Card.objects.select_for_update().select_related("unit").get(pk=card.pk)


def _decide(card: Card, by: Person, reason: str, status: str, action: str) -> Card:
    card = _locked_card(card)
    require_office_for(by, card.unit, action)
    _require_card_status(card, [CardStatus.PROPOSED], action)
    card.status = status
    card.decided_by = by
    card.decided_at = timezone.now()
    card.decision_reason = require_text(reason, "reason", _("理由"))
    card.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return card


@transaction.atomic
def card_issue(*, card: Card, by: Person, reason: str) -> Card:
    """亮牌: the supervision office confirms the system's proposal."""
    return _decide(card, by, reason, CardStatus.ISSUED, _("亮牌"))


@transaction.atomic
def card_dismiss(*, card: Card, by: Person, reason: str) -> Card:
    """不予亮牌: the supervision office turns the proposal down (e.g. the delay has an objective cause)."""
    return _decide(card, by, reason, CardStatus.DISMISSED, _("不予亮牌"))


@transaction.atomic
def card_lift(*, card: Card, by: Person, reason: str) -> Card:
    """撤牌: the unit has put things right; the card no longer stands."""
    card = _locked_card(card)
    require_office_for(by, card.unit, _("撤牌"))
    _require_card_status(card, [CardStatus.ISSUED], _("撤牌"))
    card.status = CardStatus.LIFTED
    card.lifted_by = by
    card.lifted_at = timezone.now()
    card.lift_reason = require_text(reason, "reason", _("理由"))
    card.save(update_fields=["status", "lifted_by", "lifted_at", "lift_reason"])
    return card
