"""Reads of supervision work, scoped to the caller (see tasks/selectors.py for the rules of who reads what).

Sections: groups and the groups I act for (with their scopes), inspections, supervision orders and
their evidence, red and yellow cards, the items overdue long enough to escalate, the inbox (the
bell), and the office's region (notification channels, deliveries).

A supervision order is visible to everyone whose subtrees (home region, or a group's scope) hold the
addressed unit, and to the members of the group that issued it. An inspection is visible with its
group: to those whose subtrees hold the group's scope or its issuing unit, and to the group's members.
Superusers read everything.
"""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.db.models.lookups import StartsWith
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from tasks.flags import EPOCH, DayNumber
from tasks.models import RUNNING_STATUSES, Campaign, Person, Role, Task, TaskStatus, Unit
from tasks.selectors import NOTHING, access_for

from .models import (
    Bulletin,
    BulletinStatus,
    Card,
    CardKind,
    CardStatus,
    Delivery,
    Finding,
    InboxItem,
    Inspection,
    NotifyEndpoint,
    OrderEvent,
    OrderStatus,
    ReminderPolicy,
    SupervisionAttachment,
    SupervisionGroup,
    SupervisionOrder,
    Urgency,
    WebhookEndpoint,
)

SHANGHAI = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _in_roots_q(roots: list[str], field: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__path__startswith": root}) for root in roots), NOTHING)


def _my_groups(user) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return SupervisionGroup.objects.none().values("pk")
    return SupervisionGroup.objects.filter(members=user).values("pk")


def groups_visible_to(user) -> QuerySet[SupervisionGroup]:
    """Groups sent by, or to, a region I read (or one above it), and the groups I belong to."""
    access = access_for(user)
    if access.everything:
        return SupervisionGroup.objects.all()
    units = Unit.objects.filter(access.unit_q()).values("pk")
    scoped_to_my_units = SupervisionGroup.scope_units.through.objects.filter(unit__in=units).values(
        "supervisiongroup"
    )
    return SupervisionGroup.objects.filter(
        Q(pk__in=scoped_to_my_units) | Q(issuing_unit__in=units) | Q(pk__in=_my_groups(user))
    )


# ---- Inspections -----------------------------------------------------------------------------------


def _inspection_groups_q(user, prefix: str = "") -> Q:
    access = access_for(user)
    if access.everything:
        return Q()
    roots = access.roots()
    scoped = SupervisionGroup.scope_units.through.objects.filter(_in_roots_q(roots, "unit")).values(
        "supervisiongroup"
    )
    return (
        Q(**{f"{prefix}group__in": scoped})
        | _in_roots_q(roots, f"{prefix}group__issuing_unit")
        | Q(**{f"{prefix}group__in": _my_groups(user)})
    )


def inspections_visible_to(user) -> QuerySet[Inspection]:
    findings = Finding.objects.select_related("unit", "task", "order").order_by("id")
    return (
        Inspection.objects.filter(_inspection_groups_q(user))
        .select_related("group", "created_by__unit")
        .prefetch_related("units_visited", "tasks_checked", Prefetch("findings", queryset=findings))
        .order_by("-date", "-id")
    )


def findings_visible_to(user) -> QuerySet[Finding]:
    """Findings are visible with their inspection."""
    return (
        Finding.objects.filter(_inspection_groups_q(user, "inspection__"))
        .select_related("inspection__group", "unit", "task", "order")
        .order_by("-inspection__date", "-inspection_id", "id")
    )


# ---- Supervision orders ---------------------------------------------------------------------------


def order_overdue_q(today: datetime.date) -> Q:
    """Past its deadline and not closed out (today in Asia/Shanghai)."""
    return Q(deadline__lt=today) & ~Q(status=OrderStatus.CLOSED)


def _orders_scope_q(user) -> Q:
    """Who reads an order: its unit lies in one of my subtrees, or one of my groups issued it. No viewer
    (None: a job) reads every order."""
    if user is None:
        return Q()
    access = access_for(user)
    if access.everything:
        return Q()
    return _in_roots_q(access.roots(), "unit") | Q(group__in=_my_groups(user))


def orders_visible_to(user) -> QuerySet[SupervisionOrder]:
    return (
        SupervisionOrder.objects.filter(_orders_scope_q(user))
        .select_related("group", "unit", "issued_by__unit")
        .prefetch_related("cooperating_units", "tasks")
        .order_by("-issued_at", "-id")
    )


def orders_filtered(
    orders: QuerySet[SupervisionOrder],
    *,
    campaign=None,
    special_action=None,
    county=None,
    township=None,
    unit=None,
    group=None,
) -> QuerySet[SupervisionOrder]:
    """`orders` narrowed by the filters every page and the API offer (rows or ids):

    - `county`, `township` (units, not ids): the addressed unit lies at or under it (a subtree); `unit`: addressed to it;
    - `group`: issued by that supervision group;
    - `campaign`: the order names a task of the campaign, or names no task at all and was issued (day in
      Asia/Shanghai) between the campaign's start and end dates to a unit under the campaign's owner:
      an order belongs to no campaign by itself, so one without a task belongs to the campaign it was
      issued in;
    - `special_action`: the order names a task of the special action (one naming no task cannot be
      placed in a special action, and counts only without this filter).
    """
    for subtree in (county, township):
        if subtree is not None:
            orders = orders.filter(unit__path__startswith=subtree.path)
    if unit is not None:
        orders = orders.filter(unit=unit)
    if group is not None:
        orders = orders.filter(group=group)
    if campaign is not None or special_action is not None:
        named = SupervisionOrder.tasks.through.objects.filter(supervisionorder=OuterRef("pk"))
        if campaign is not None:
            named = named.filter(task__campaign=campaign)
        if special_action is not None:
            named = named.filter(task__special_action=special_action)
        condition = Q(Exists(named))
        if special_action is None:
            issued_in = Campaign.objects.filter(
                StartsWith(OuterRef("unit__path"), F("owner__path")),
                pk=getattr(campaign, "pk", campaign),
                start_date__lte=OuterRef("issued_day"),
                end_date__gte=OuterRef("issued_day"),
            )
            any_task = SupervisionOrder.tasks.through.objects.filter(supervisionorder=OuterRef("pk"))
            orders = orders.alias(issued_day=TruncDate("issued_at", tzinfo=SHANGHAI))
            condition |= ~Q(Exists(any_task)) & Q(Exists(issued_in))
        orders = orders.filter(condition)
    return orders


def orders_in_scope(user, **filters) -> QuerySet[SupervisionOrder]:
    """The orders the viewer reads (as `orders_visible_to`), narrowed by the filters (`orders_filtered`).
    Unordered and unjoined: the base of every order figure."""
    return orders_filtered(SupervisionOrder.objects.filter(_orders_scope_q(user)), **filters).order_by()


def open_orders(user, **filters) -> QuerySet[SupervisionOrder]:
    """THE open 督办单 (not closed out) of a viewer and filters: the dashboard, the 督查 page, the group
    page, the unit page, the ranking and their API figures all count these rows, so they agree."""
    return orders_in_scope(user, **filters).exclude(status=OrderStatus.CLOSED)


def open_order_count(user, **filters) -> int:
    return open_orders(user, **filters).count()


# Lists of orders: the open ones first, then the most urgent (特急, 紧急, 一般), then the nearest deadline.
URGENCY_ORDER = Case(
    When(urgency=Urgency.RED, then=Value(0)),
    When(urgency=Urgency.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
CLOSED_LAST = Case(
    When(status=OrderStatus.CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField()
)


def orders_by_urgency(orders: QuerySet[SupervisionOrder]) -> QuerySet[SupervisionOrder]:
    """Open before closed, then by urgency (红色特急 first), then by deadline (soonest first)."""
    return orders.alias(closed_last=CLOSED_LAST, urgency_rank=URGENCY_ORDER).order_by(
        "closed_last", "urgency_rank", "deadline", "-id"
    )


def order_events_prefetch() -> Prefetch:
    return Prefetch("events", queryset=OrderEvent.objects.select_related("actor__unit").order_by("at", "id"))


def attachments_visible_to(user) -> QuerySet[SupervisionAttachment]:
    """Evidence is visible with its inspection, or with its order."""
    return SupervisionAttachment.objects.filter(
        Q(inspection__in=inspections_visible_to(user).values("pk"))
        | Q(order__in=orders_visible_to(user).values("pk"))
    )


def evidence_by_event(order) -> dict[int | None, list]:
    """An order's evidence, by the event (rectification) it came with (one query)."""
    grouped = defaultdict(list)
    for attachment in SupervisionAttachment.objects.filter(order=order):
        grouped[attachment.order_event_id].append(attachment)
    return grouped


# ---- The groups I act for, and their scopes --------------------------------------------------------------


def acting_groups(user) -> QuerySet[SupervisionGroup]:
    """The groups this user may act for (record inspections, issue and close out orders): the active
    groups they belong to; every active group for a superuser (as permissions.is_member)."""
    if not getattr(user, "is_authenticated", False):
        return SupervisionGroup.objects.none()
    groups = SupervisionGroup.objects.filter(is_active=True)
    if not user.is_superuser:
        groups = groups.filter(members=user)
    return groups.prefetch_related("scope_units", "scope_special_actions").order_by(
        "issuing_unit__path", "name"
    )


def _under(paths: list[str], prefix: str = "") -> Q:
    return reduce(or_, (Q(**{f"{prefix}path__startswith": p}) for p in paths), NOTHING)


def _unit_label(unit: Unit) -> str:
    return unit.full_name or unit.name


def _task_label(task: Task) -> str:
    return f"{task.code} {task.title}"


@dataclass
class Scope:
    """The units (and tasks) a group's forms may name: everything under its scope units, and for a
    group limited to special actions only their tasks."""

    group: SupervisionGroup | None
    units: dict[int, Unit] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)

    def unit_choices(self, blank: bool = False) -> list:
        rows = [(pk, _unit_label(unit)) for pk, unit in self.units.items()]
        return [("", "---------"), *rows] if blank else rows

    def task_choices(self, blank: bool = False) -> list:
        rows = [(pk, _task_label(task)) for pk, task in self.tasks.items()]
        return [("", _("(不涉及具体任务)")), *rows] if blank else rows


def scope_of(group: SupervisionGroup | None, *, with_tasks: bool = True) -> Scope:
    """Two queries (units, tasks) for a group from `acting_groups` (its scope is prefetched)."""
    if group is None:
        return Scope(None)
    paths = [unit.path for unit in group.scope_units.all()]
    if not paths:
        return Scope(group)
    units = Unit.objects.filter(_under(paths)).order_by("path")
    scope = Scope(group, {unit.pk: unit for unit in units})
    if with_tasks:
        tasks = Task.objects.filter(_under(paths, "lead_unit__")).exclude(status=TaskStatus.CANCELLED)
        limited = [action.pk for action in group.scope_special_actions.all()]
        if limited:
            tasks = tasks.filter(special_action__in=limited)
        scope.tasks = {task.pk: task for task in tasks.only("pk", "code", "title").order_by("code", "pk")}
    return scope


# ---- Red and yellow cards -----------------------------------------------------------------------------


def cards_visible_to(user) -> QuerySet[Card]:
    """Cards are visible with their unit (the unit's page, the rankings)."""
    return Card.objects.filter(access_for(user).unit_q("unit__")).select_related(
        "unit", "decided_by__unit", "lifted_by__unit", "escalated_from"
    )


def cards_in_force(units: QuerySet[Unit]) -> QuerySet[Card]:
    """The issued cards standing against `units` (for the unit's page)."""
    return Card.objects.filter(unit__in=units, status=CardStatus.ISSUED).select_related("unit")


def with_card_counts(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """Annotate `yellow_cards` and `red_cards` in force, for the rankings (aggregated in the database)."""
    in_force = Q(cards__status=CardStatus.ISSUED)
    return units.annotate(
        yellow_cards=Count("cards", filter=in_force & Q(cards__kind=CardKind.YELLOW), distinct=True),
        red_cards=Count("cards", filter=in_force & Q(cards__kind=CardKind.RED), distinct=True),
    )


def cards_in_force_by_unit(unit_ids) -> dict[int, list[str]]:
    """{unit id: kinds of its issued cards, yellow before red} for the rankings (one query, none for no
    units). Only issued cards: a proposal is the office's to decide, not a mark on the unit yet."""
    unit_ids = list(unit_ids)
    if not unit_ids:
        return {}
    found: dict[int, set[str]] = {}
    issued = Card.objects.filter(unit__in=unit_ids, status=CardStatus.ISSUED).order_by()
    for unit, kind in issued.values_list("unit", "kind"):
        found.setdefault(unit, set()).add(kind)
    return {unit: [kind for kind in CardKind.values if kind in kinds] for unit, kinds in found.items()}


# What needs the office first: proposals, then the cards standing, then the history.
STATUS_ORDER = Case(
    When(status=CardStatus.PROPOSED, then=Value(0)),
    When(status=CardStatus.ISSUED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def cards_proposed_first(cards: QuerySet[Card]) -> QuerySet[Card]:
    """Proposals first, then the cards in force, then those dismissed or lifted; newest first within."""
    return cards.annotate(status_order=STATUS_ORDER).order_by("status_order", "-proposed_on", "-id")


# ---- Escalation: items overdue long enough for the groups' digest -----------------------------------------

# Orders belong to no campaign: they follow the default policy.
ORDER_POLICY = ReminderPolicy(
    due_soon_first=3, due_soon_second=1, overdue_repeat_days=3, escalate_after_days=3
)
# A task's reminder policy, joined through its campaign.
POLICY = "campaign__reminder_policy__"


def as_int(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=IntegerField())


def day_number(day: datetime.date) -> Value:
    return Value((day - EPOCH).days, output_field=IntegerField())


def running_tasks_q(prefix: str = "") -> Q:
    """Tasks whose clock runs (not started or in progress) in a campaign whose reminders are on."""
    return Q(**{f"{prefix}status__in": RUNNING_STATUSES, f"{prefix}{POLICY}enabled": True})


def tasks_escalated_on(day: datetime.date) -> QuerySet[Task]:
    """Running tasks overdue on `day` for at least their campaign's `escalate_after_days`."""
    return (
        Task.objects.filter(running_tasks_q(), deadline__lt=day)
        .alias(late=as_int(day_number(day) - DayNumber("deadline")))
        .filter(late__gte=F(f"{POLICY}escalate_after_days"))
    )


def orders_escalated_on(day: datetime.date) -> QuerySet[SupervisionOrder]:
    """Orders not closed out, overdue on `day` for at least the default `escalate_after_days`."""
    last_day = day - datetime.timedelta(days=ORDER_POLICY.escalate_after_days)
    return SupervisionOrder.objects.exclude(status=OrderStatus.CLOSED).filter(deadline__lte=last_day)


# ---- The inbox (the bell) --------------------------------------------------------------------------------

# Everything a notification's title needs, joined in the one query that lists the inbox.
TITLE_ROWS = ("task", "order", "milestone", "group", "indicator", "bulletin")
# A bulletin's title needs its number and title, not its stored documents and figures.
TITLE_DEFERRED = tuple(f"notification__bulletin__{field}" for field in ("pdf", "docx", "figures", "sections"))


def inbox_for(person: Person) -> QuerySet[InboxItem]:
    """A person's inbox, newest first, with what the titles and links need already joined."""
    return (
        InboxItem.objects.filter(person=person)
        .select_related(*(f"notification__{row}" for row in TITLE_ROWS))
        .defer(*TITLE_DEFERRED)
        .order_by("-created_at", "-id")
    )


def inbox_item_get_for(person: Person, notification_id: int) -> InboxItem:
    """The person's own copy of a notification; 404 for anyone else's (as for one that does not exist)."""
    return get_object_or_404(inbox_for(person), notification_id=notification_id)


def unread_count(user) -> int:
    """The bell's count: the user's unread items (one query)."""
    return InboxItem.objects.filter(person=user, read_at__isnull=True).count()


# ---- The office's region: channels and deliveries ----------------------------------------------------------


def in_office_region_q(user, *unit_paths: str) -> Q:
    """Rows whose unit (at any of `unit_paths`) lies in the office's region; everything for a superuser."""
    access = access_for(user)
    if access.everything:
        return Q()
    if getattr(user, "role", None) != Role.OFFICE or access.region is None:
        return NOTHING
    root = access.region.path
    return reduce(or_, (Q(**{f"{path}__path__startswith": root}) for path in unit_paths))


def endpoint_units(user) -> QuerySet[Unit]:
    """Units whose channels the office keeps: those of its region."""
    access = access_for(user)
    if access.everything:
        return Unit.objects.order_by("path")
    if getattr(user, "role", None) != Role.OFFICE or access.region is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=access.region.path).order_by("path")


def endpoint_groups(user) -> QuerySet[SupervisionGroup]:
    """Supervision groups whose channels the office keeps: those sent out from its region."""
    return SupervisionGroup.objects.filter(in_office_region_q(user, "issuing_unit")).order_by(
        "issuing_unit__path", "name"
    )


def endpoints_for(user) -> QuerySet[NotifyEndpoint]:
    return (
        NotifyEndpoint.objects.filter(in_office_region_q(user, "unit", "group__issuing_unit"))
        .select_related("unit", "group")
        .order_by("unit__path", "group__name", "channel", "id")
    )


def deliveries_for(user) -> QuerySet[Delivery]:
    """Deliveries of notifications addressed inside the office's region: to a unit in it, a person of a
    unit in it, or a group sent out from it."""
    scope = in_office_region_q(
        user,
        "notification__unit",
        "notification__person__unit",
        "notification__group__issuing_unit",
        "webhook__region",
    )
    return (
        Delivery.objects.filter(scope)
        .select_related(
            *(f"notification__{row}" for row in TITLE_ROWS),
            "notification__unit",
            "notification__person__unit",
            "webhook_event",
            "webhook__region",
        )
        .defer(*TITLE_DEFERRED, "webhook_event__data", "webhook__secret")
        .order_by("-updated_at", "-id")
    )


def webhooks_for(user) -> QuerySet[WebhookEndpoint]:
    """The outbound webhook endpoints of the office's region (everything for a superuser)."""
    return (
        WebhookEndpoint.objects.filter(in_office_region_q(user, "region"))
        .select_related("region")
        .order_by("region__path", "id")
    )


def orders_addressed_to(user) -> list[SupervisionOrder]:
    """督办单 addressed to my unit that are not closed yet (the 工作台 lists them): at most 20, the most
    urgent first, then the soonest due."""
    if user.unit_id is None:
        return []
    return list(
        orders_by_urgency(
            SupervisionOrder.objects.filter(unit=user.unit_id).exclude(status=OrderStatus.CLOSED)
        ).select_related("group")[:20]
    )


# ---- Bulletins (情况通报) ------------------------------------------------------------------------------


def bulletins_visible_to(user) -> QuerySet[Bulletin]:
    """Who reads a bulletin: the office and the leaders of a region containing it, and the members of the
    groups whose scope overlaps it, read every bulletin (drafts too); anyone else reads the issued
    bulletins of a region their unit lies in. The stored documents are left out (`pdf`, `docx`): the
    downloads load them for one bulletin."""
    access = access_for(user)
    rows = Bulletin.objects.select_related(
        "campaign", "region", "created_by__unit", "signed_by__unit", "issued_by__unit"
    ).defer("pdf", "docx")
    if access.everything:
        return rows
    conditions = [NOTHING]
    if user.role in (Role.OFFICE, Role.LEADER) and access.region is not None:
        conditions.append(Q(region__path__startswith=access.region.path))
    for path, _special_actions in access.scopes:
        conditions.append(Q(region__path__startswith=path) | Q(StartsWith(Value(path), F("region__path"))))
    if user.unit_id is not None:
        conditions.append(
            Q(status=BulletinStatus.ISSUED) & Q(StartsWith(Value(user.unit.path), F("region__path")))
        )
    return rows.filter(reduce(or_, conditions))


def bulletin_get_for(user, pk) -> Bulletin:
    """One bulletin the user reads, with its stored documents; 404 for any other."""
    return get_object_or_404(bulletins_visible_to(user).defer(None), pk=pk)
