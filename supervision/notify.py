"""What the pages and the API share around reminders (催办提醒), beside supervision/reminders.py:

- the in-app inbox (the bell): a person's items, their titles without a query each, marking read;
- chasing by hand: who is offered the 催办 button, and no chasing of a task that is no longer running;
- the supervision office's settings: notification channels (通知渠道) of the units and groups of its
  region, the working-day calendar, and the failed deliveries it may send again.

Reads are scoped to the caller (out of scope is a 404 in the views); writes check again who may act
(`require_office_for`), as every service does.
"""

import datetime
import urllib.parse
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.flags import EPOCH
from tasks.models import RUNNING_STATUSES, Campaign, Person, Role, Task, Unit
from tasks.selectors import NOTHING, access_for
from tasks.services import InvalidTransition, require_office_for

from . import channels, outbox, reminders, workdays
from .models import (
    CalendarDay,
    Channel,
    Delivery,
    InboxItem,
    Notification,
    NotifyEndpoint,
    ReminderRule,
    SupervisionGroup,
)

# ---- The inbox ------------------------------------------------------------------------------------

# Everything a title needs, joined in the one query that lists the inbox.
TITLE_ROWS = ("task", "order", "milestone", "group")


def inbox_for(person: Person) -> QuerySet[InboxItem]:
    """A person's inbox, newest first, with what the titles and links need already joined."""
    return (
        InboxItem.objects.filter(person=person)
        .select_related(*(f"notification__{row}" for row in TITLE_ROWS))
        .order_by("-created_at", "-id")
    )


def inbox_item_get_for(person: Person, notification_id: int) -> InboxItem:
    """The person's own copy of a notification; 404 for anyone else's (as for one that does not exist)."""
    return get_object_or_404(inbox_for(person), notification_id=notification_id)


def unread_count(person: Person) -> int:
    return InboxItem.objects.filter(person=person, read_at__isnull=True).count()


def notification_title(n: Notification) -> str:
    """The title of supervision.messages.render(n), from rows already joined (no query).

    The group digest's title leaves out the number of items: counting them again would take queries
    per digest, and the count would be today's, not the one the digest was sent with."""
    day, rule = n.day, n.rule
    if n.milestone_id is not None:
        milestone = n.milestone
        if rule == ReminderRule.MILESTONE_DUE:
            return _("【节点临期】%(milestone)s 节点时限 %(date)s") % {
                "milestone": milestone.title,
                "date": milestone.due_date.isoformat(),
            }
        return _("【节点逾期】%(milestone)s 已逾期 %(days)s 天") % {
            "milestone": milestone.title,
            "days": (day - milestone.due_date).days,
        }
    if n.task_id is not None:
        task = n.task
        if rule == ReminderRule.DUE_SOON:
            return _("【临期提醒】%(title)s 距完成时限还有 %(days)s 天") % {
                "title": task.title,
                "days": (task.deadline - day).days,
            }
        if rule == ReminderRule.OVERDUE:
            return _("【逾期催办】%(title)s 已逾期 %(days)s 天") % {
                "title": task.title,
                "days": (day - task.deadline).days,
            }
        if rule == ReminderRule.STALE_REPORT:
            return _("【请及时填报进度】%(title)s 已 %(days)s 天未填报进度") % {
                "title": task.title,
                "days": (day - EPOCH).days - n.step,
            }
        return _("【催办】%(title)s") % {"title": task.title}
    if n.order_id is not None:
        order = n.order
        if rule == ReminderRule.ORDER_DUE:
            return _("【督办单临期】%(number)s 距整改时限还有 %(days)s 天") % {
                "number": order.number,
                "days": (order.deadline - day).days,
            }
        if rule == ReminderRule.ORDER_OVERDUE:
            return _("【督办单逾期】%(number)s 已逾期 %(days)s 天") % {
                "number": order.number,
                "days": (day - order.deadline).days,
            }
        return _("【催办】督办单 %(number)s") % {"number": order.number}
    return _("【督导组逾期日报】%(group)s %(date)s") % {"group": n.group.name, "date": day.isoformat()}


def notification_path(n: Notification) -> str:
    """Where the notification leads in the app: its task, its order, or the dashboard (digests)."""
    if n.task_id is not None:
        return reverse("task-detail", args=[n.task_id])
    if n.order_id is not None:
        return reverse("order-detail", args=[n.order_id])
    return reverse("dashboard")


def inbox_mark_read(*, item: InboxItem) -> InboxItem:
    """Mark one of my items read (again is harmless: the first time is kept)."""
    if item.read_at is None:
        now = timezone.now()
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=now)
        item.read_at = now
    return item


def inbox_mark_all_read(*, person: Person) -> int:
    """Mark all my unread items read; returns how many there were."""
    return InboxItem.objects.filter(person=person, read_at__isnull=True).update(read_at=timezone.now())


# ---- Chasing by hand (催办) -------------------------------------------------------------------------


def may_chase(user) -> bool:
    """Who is offered the 催办 button (reminders.chase_task and chase_order decide again, with the scope)."""
    return bool(user.is_superuser or user.role in (Role.OFFICE, Role.INSPECTOR))


@transaction.atomic
def task_chase(*, task: Task, by: Person, note: str = "") -> Notification:
    """reminders.chase_task, refused for a task no longer running (closed, cancelled, awaiting
    close-out), as chase_order refuses a closed order. Who may chase is checked first."""
    if may_chase(by) and task.status not in RUNNING_STATUSES:
        raise InvalidTransition(
            _("任务当前状态为“%(status)s”,无需催办。") % {"status": task.get_status_display()}
        )
    return reminders.chase_task(task=task, by=by, note=note)


# ---- The office's region --------------------------------------------------------------------------


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


# ---- Notification channels (通知渠道) ---------------------------------------------------------------


def _endpoint_owner_unit(endpoint: NotifyEndpoint) -> Unit:
    return endpoint.unit if endpoint.unit_id is not None else endpoint.group.issuing_unit


@transaction.atomic
def endpoint_create(
    *,
    by: Person,
    channel: str,
    address: str,
    unit: Unit | None = None,
    group: SupervisionGroup | None = None,
    secret: str = "",
) -> NotifyEndpoint:
    """Add where a unit's or a group's messages go: a mailbox, a WeCom or a DingTalk robot.

    The address is checked as channels.check_address checks it (a webhook only to the allowed
    hosts, never to the intranet); the 加签 secret is kept for DingTalk only."""
    if (unit is None) == (group is None):
        raise ValidationError({"owner": _("请选择一个单位或一个督导检查组。")})
    require_office_for(by, unit if unit is not None else group.issuing_unit, _("设置通知渠道"))
    try:
        address = channels.check_address(channel, address)
    except ValidationError as exc:
        raise ValidationError({"address": exc.messages}) from None
    # The unique constraint cannot see these: one of unit and group is always NULL, and NULLs differ.
    if NotifyEndpoint.objects.filter(unit=unit, group=group, channel=channel, address=address).exists():
        raise ValidationError({"address": _("已有相同的通知渠道。")})
    endpoint = NotifyEndpoint(
        unit=unit,
        group=group,
        channel=channel,
        address=address,
        secret=(secret or "").strip() if channel == Channel.DINGTALK else "",
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_set_enabled(*, endpoint: NotifyEndpoint, by: Person, enabled: bool) -> NotifyEndpoint:
    require_office_for(by, _endpoint_owner_unit(endpoint), _("设置通知渠道"))
    NotifyEndpoint.objects.filter(pk=endpoint.pk).update(enabled=enabled)
    endpoint.enabled = enabled
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: NotifyEndpoint, by: Person) -> None:
    """Remove a channel. Its past deliveries stay on record (they keep the address they went to)."""
    require_office_for(by, _endpoint_owner_unit(endpoint), _("设置通知渠道"))
    endpoint.delete()


def mask_address(channel: str, address: str) -> str:
    """A webhook's key or access token is its password: show the host and path only."""
    if channel == Channel.EMAIL:
        return address
    try:
        parts = urllib.parse.urlsplit(address)
    except ValueError:
        return "…"
    masked = f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
    return f"{masked}?…" if parts.query else masked


# ---- The working-day calendar (工作日历) -------------------------------------------------------------


def _require_calendar_keeper(by: Person, campaign: Campaign | None) -> None:
    # The calendar is the deployment's; the office of a region running a campaign keeps it.
    if campaign is None:
        if by.is_superuser:
            return
        raise PermissionDenied(_("没有可用的冬季行动。"))
    require_office_for(by, campaign.owner, _("修改工作日历"))


def calendar_year(year: int) -> QuerySet[CalendarDay]:
    """The year's exceptions; a year never asked about is filled from the holidays package first."""
    if not CalendarDay.objects.filter(date__year=year, from_package=True).exists():
        workdays.fill_year(year)
    return CalendarDay.objects.filter(date__year=year).order_by("date")


@transaction.atomic
def calendar_day_set(
    *, by: Person, campaign: Campaign | None, date: datetime.date, working: bool, name: str = ""
) -> CalendarDay:
    """Mark a day a working day or a day off (a holiday added late, a make-up working day moved)."""
    _require_calendar_keeper(by, campaign)
    return workdays.set_day(date=date, working=working, name=name)


@transaction.atomic
def calendar_day_remove(*, by: Person, campaign: Campaign | None, date: datetime.date) -> None:
    """Remove a day the office marked: the date goes back to what the holidays package says (or to
    its weekday). Days from the package cannot be removed, only changed."""
    _require_calendar_keeper(by, campaign)
    removed, _rows = CalendarDay.objects.filter(date=date, from_package=False).delete()
    if not removed:
        raise ValidationError({"date": _("只能删除督查室自行设置的日期。")})
    workdays.fill_year(date.year)


# ---- Deliveries (发送记录) ----------------------------------------------------------------------------


def deliveries_for(user) -> QuerySet[Delivery]:
    """Deliveries of notifications addressed inside the office's region: to a unit in it, a person of a
    unit in it, or a group sent out from it."""
    scope = in_office_region_q(
        user, "notification__unit", "notification__person__unit", "notification__group__issuing_unit"
    )
    return (
        Delivery.objects.filter(scope)
        .select_related(
            *(f"notification__{row}" for row in TITLE_ROWS),
            "notification__unit",
            "notification__person__unit",
        )
        .order_by("-updated_at", "-id")
    )


def delivery_retry(*, delivery: Delivery, by: Person) -> Delivery:
    """The office sends a failed delivery again (outbox.retry: attempts start over)."""
    if not deliveries_for(by).filter(pk=delivery.pk).exists():
        raise PermissionDenied(_("只有本地区的督查室可以重发。"))
    return outbox.retry(delivery)
