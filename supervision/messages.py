"""What a reminder says (Chinese, as the people it reaches read it): what is late, by how much, who
leads it, and a link. One `Message` per notification, in four forms: a title, plain text (email and
the inbox), Markdown (WeCom and DingTalk robots) and HTML (email).

`title` and `path_of` are also what the inbox, the API and the deliveries page show: a title is
written once, here.

What people typed (task titles, unit names, notes, milestone titles, reasons) reaches the robots as
text, never as Markdown: `as_markdown_text` puts it on one line and swaps each character WeCom's or
DingTalk's Markdown reads as a sign (`*` `_` `` ` `` `#` `>` `<` `[` `]` `\\` `|` `~` `&`) for its
full-width twin. Neither vendor documents a backslash escape for its robots, and a swapped sign
reads the same in a Chinese sentence; our own signs (the heading, the quotes, the links) are added
around the swapped text. An email subject is one line (`one_line`): a newline in a header is refused
by the mail library, for good."""

import datetime
import re
import unicodedata
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tasks.flags import EPOCH
from tasks.models import FigureKind, Indicator, Task

from .models import Bulletin, Notification, ReminderRule, SupervisionOrder
from .selectors import orders_escalated_on, tasks_escalated_on

DIGEST_LIMIT = 50

# ---- Text people typed, made safe for a subject and for the robots' Markdown ----------------------

_LINE_BREAKS = ("Cc", "Zl", "Zp")  # control characters (CR, LF, tab, NUL…) and U+2028/U+2029
_MARKDOWN_SIGNS = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        ">": "＞",
        "<": "＜",
        "[": "［",
        "]": "］",
        "\\": "＼",
        "|": "｜",
        "~": "～",
        "&": "＆",
    }
)


def one_line(text: str) -> str:
    """`text` with every control character and line break turned into a space, runs of them into one."""
    spaced = "".join(" " if unicodedata.category(char) in _LINE_BREAKS else char for char in text)
    return re.sub(r" {2,}", " ", spaced).strip()


def as_markdown_text(text: str) -> str:
    """`text` on one line, shown as itself by the robots' Markdown (see the module's docstring)."""
    return one_line(text).translate(_MARKDOWN_SIGNS)


@dataclass(frozen=True)
class Message:
    title: str
    lines: list[str]
    url: str
    items: list[dict]  # digest entries: {"label", "detail", "url"}

    @property
    def text(self) -> str:
        body = [self.title, "", *self.lines]
        body += [f"- {item['label']}({item['detail']}){item['url']}" for item in self.items]
        return "\n".join([*body, "", self.url])

    # The forms are made when a channel sends, outside render(): they too are in the site's language.

    @property
    def subject(self) -> str:
        """The title as an email subject or a robot message's title: one line."""
        return one_line(self.title)

    @property
    def markdown(self) -> str:
        # Every title, line, label and detail holds what people typed: text, not Markdown. The URLs
        # are ours (SITE_URL and a path).
        text = as_markdown_text
        body = [f"### {text(self.title)}", *(f"> {text(line)}" for line in self.lines)]
        body += [f"- [{text(item['label'])}]({item['url']}) {text(item['detail'])}" for item in self.items]
        with translation.override(settings.LANGUAGE_CODE):
            details = _("查看详情")
            return "\n".join([*body, "", f"[{details}]({self.url})"])

    @property
    def html(self) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return render_to_string("supervision/email/notification.html", {"message": self})


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _days(later: datetime.date, earlier: datetime.date) -> int:
    return (later - earlier).days


def _task_lines(task: Task, day: datetime.date) -> list[str]:
    leader = task.responsible_leader
    lines = [
        _("任务:%(code)s %(title)s") % {"code": task.code, "title": task.title},
        _("牵头单位:%(unit)s") % {"unit": task.lead_unit.name},
    ]
    if leader is not None:
        lines.append(_("责任领导:%(leader)s") % {"leader": leader.get_full_name() or str(leader)})
    lines.append(
        _("完成时限:%(deadline)s,当前进度 %(progress)s%%")
        % {"deadline": task.deadline.isoformat(), "progress": task.progress}
    )
    return lines


def _order_lines(order: SupervisionOrder) -> list[str]:
    return [
        _("督办单:%(number)s") % {"number": order.number},
        _("承办单位:%(unit)s") % {"unit": order.unit.name},
        _("整改时限:%(deadline)s") % {"deadline": order.deadline.isoformat()},
        _("督办事项:%(problem)s") % {"problem": order.problem[:120]},
    ]


def _bulletin_lines(bulletin: Bulletin, *, lagging: bool) -> list[str]:
    lines = [_("通报:%(title)s 第%(number)s期") % {"title": bulletin.title, "number": bulletin.number}]
    if bulletin.issued_at is not None:
        lines.append(_("印发时间:%(date)s") % {"date": timezone.localdate(bulletin.issued_at).isoformat()})
    if lagging:  # a unit is told because the bulletin names it lagging; a group reads it whole
        lines.append(_("本单位被列入滞后单位,请查看通报中本单位的滞后事项,抓紧整改。"))
    return lines


def _digest_items(notification: Notification) -> tuple[list[dict], int]:
    """The group's items overdue long enough on the digest's day, newest escalations first (at most
    DIGEST_LIMIT of them), and how many there are in all."""
    day = notification.day
    group = notification.group
    paths = list(group.scope_units.values_list("path", flat=True))
    under = reduce(or_, (Q(lead_unit__path__startswith=path) for path in paths), Q(pk__in=[]))
    tasks = tasks_escalated_on(day).filter(under)
    actions = list(group.scope_special_actions.values_list("pk", flat=True))
    if actions:
        tasks = tasks.filter(special_action__in=actions)
    under_orders = reduce(or_, (Q(unit__path__startswith=path) for path in paths), Q(pk__in=[]))
    orders = orders_escalated_on(day).filter(under_orders)
    items = [
        {
            "late": _days(day, task.deadline),
            "label": f"{task.code} {task.title}",
            "detail": _("%(unit)s,逾期 %(days)s 天")
            % {"unit": task.lead_unit.name, "days": _days(day, task.deadline)},
            "url": absolute(reverse("task-detail", args=[task.pk])),
        }
        for task in tasks.select_related("lead_unit").order_by("-deadline", "code")[:DIGEST_LIMIT]
    ]
    items += [
        {
            "late": _days(day, order.deadline),
            "label": order.number,
            "detail": _("%(unit)s,逾期 %(days)s 天")
            % {"unit": order.unit.name, "days": _days(day, order.deadline)},
            "url": absolute(reverse("order-detail", args=[order.pk])),
        }
        for order in orders.select_related("unit").order_by("-deadline", "id")[:DIGEST_LIMIT]
    ]
    items.sort(key=lambda item: (item["late"], item["label"]))
    total = len(items)
    if total >= DIGEST_LIMIT:  # one of the two lists may have been cut: count them
        total = tasks.count() + orders.count()
    return items[:DIGEST_LIMIT], total


_INDICATOR_KEY = re.compile(r":m(\d{4})-(\d{2}):(\w+):u")


def indicator_due(n: Notification) -> dict:
    """An indicator reminder's month (the 1st), kind and due date: the month and the kind are in its
    key (reminders._indicators_due), the days left until the reporting day in its step."""
    match = _INDICATOR_KEY.search(n.key)
    year, month, kind = (int(match[1]), int(match[2]), match[3]) if match else (n.day.year, n.day.month, "")
    return {
        "month": datetime.date(year, month, 1),
        "kind": kind,
        "due": n.day + datetime.timedelta(days=n.step),
    }


def _indicator_title(n: Notification) -> str:
    due = indicator_due(n)
    values = {
        "indicator": n.indicator.name,
        "year": due["month"].year,
        "month": due["month"].month,
        "due": due["due"].isoformat(),
    }
    if due["kind"] == FigureKind.ACTUAL:
        return _("【指标填报提醒】请于 %(due)s 前填报 %(indicator)s %(year)s年%(month)s月实际数") % values
    return _("【指标填报提醒】请于 %(due)s 前填报 %(indicator)s %(year)s年%(month)s月预计数") % values


def title(n: Notification, *, count: int | None = None) -> str:
    """The notification's title, the one place it is written: the message's, the inbox's and the
    deliveries page's. From rows already joined (`supervision.selectors.TITLE_ROWS`: no query).

    A group digest's title says how many items it lists only when given `count`: the inbox leaves it
    out, since counting again would take queries per digest and give today's count, not the one the
    digest was sent with."""
    day, rule = n.day, n.rule
    if n.indicator_id is not None:
        return _indicator_title(n)
    if n.milestone_id is not None:
        milestone = n.milestone
        if rule == ReminderRule.MILESTONE_DUE:
            return _("【节点临期】%(milestone)s 节点时限 %(date)s") % {
                "milestone": milestone.title,
                "date": milestone.due_date.isoformat(),
            }
        return _("【节点逾期】%(milestone)s 已逾期 %(days)s 天") % {
            "milestone": milestone.title,
            "days": _days(day, milestone.due_date),
        }
    if n.task_id is not None:
        task = n.task
        if rule == ReminderRule.DUE_SOON:
            return _("【临期提醒】%(title)s 距完成时限还有 %(days)s 天") % {
                "title": task.title,
                "days": _days(task.deadline, day),
            }
        if rule == ReminderRule.OVERDUE:
            return _("【逾期催办】%(title)s 已逾期 %(days)s 天") % {
                "title": task.title,
                "days": _days(day, task.deadline),
            }
        if rule == ReminderRule.STALE_REPORT:
            return _("【请及时填报进度】%(title)s 已 %(days)s 天未填报进度") % {
                "title": task.title,
                "days": (day - EPOCH).days - n.step,
            }
        handoff = _task_handoff_title(n, task)
        if handoff is not None:
            return handoff
        return _("【催办】%(title)s") % {"title": task.title}
    if n.order_id is not None:
        order = n.order
        if rule == ReminderRule.ORDER_DUE:
            return _("【督办单临期】%(number)s 距整改时限还有 %(days)s 天") % {
                "number": order.number,
                "days": _days(order.deadline, day),
            }
        if rule == ReminderRule.ORDER_OVERDUE:
            return _("【督办单逾期】%(number)s 已逾期 %(days)s 天") % {
                "number": order.number,
                "days": _days(day, order.deadline),
            }
        handoff = _order_handoff_title(n, order)
        if handoff is not None:
            return handoff
        return _("【催办】督办单 %(number)s") % {"number": order.number}
    if n.bulletin_id is not None:
        return _bulletin_title(n.bulletin)
    if count is None:
        return _("【督导组逾期日报】%(group)s %(date)s") % {"group": n.group.name, "date": day.isoformat()}
    return _("【督导组逾期日报】%(group)s %(date)s:%(count)s 项逾期事项") % {
        "group": n.group.name,
        "date": day.isoformat(),
        "count": count,
    }


def _task_handoff_title(n: Notification, task) -> str | None:
    """Handoffs about a task (supervision/handoffs.py); None for the rules above and the chase."""
    values = {"title": task.title, "deadline": task.deadline.isoformat()}
    if n.rule == ReminderRule.TASK_ASSIGNED:
        if n.step == 1:  # a cooperating unit (handoffs.COOPERATING)
            return _("【配合任务】%(title)s,完成时限 %(deadline)s") % values
        return _("【任务交办】%(title)s,完成时限 %(deadline)s") % values
    if n.rule == ReminderRule.TASK_RETURNED:
        return _("【销号申请退回】%(title)s") % values
    if n.rule == ReminderRule.EXTENSION_APPROVED:
        return _("【延期已批准】%(title)s,新的完成时限 %(deadline)s") % values
    if n.rule == ReminderRule.EXTENSION_REJECTED:
        return _("【延期未批准】%(title)s,完成时限仍为 %(deadline)s") % values
    if n.rule == ReminderRule.INSTRUCTION:
        return _("【领导批示】%(title)s") % values
    return None


def _order_handoff_title(n: Notification, order) -> str | None:
    values = {"number": order.number, "deadline": order.deadline.isoformat()}
    if n.rule == ReminderRule.ORDER_ISSUED:
        if n.step == 1:
            return _("【督办单·协办】%(number)s,整改时限 %(deadline)s") % values
        return _("【督办单】%(number)s,整改时限 %(deadline)s") % values
    if n.rule == ReminderRule.ORDER_RETURNED:
        return _("【整改退回】%(number)s 请重新整改") % values
    if n.rule == ReminderRule.ORDER_RECTIFIED:
        return _("【整改待验收】%(number)s 已反馈整改情况") % values
    return None


def _bulletin_title(bulletin: Bulletin) -> str:
    return _("【情况通报】第%(number)s期 通报已印发:%(title)s") % {
        "number": bulletin.number,
        "title": bulletin.title,
    }


def bulletin_path(bulletin_id: int) -> str:
    try:
        return reverse("bulletin-detail", args=[bulletin_id])
    except NoReverseMatch:  # the bulletin pages (supervision/views) are not routed on this build
        return f"/supervision/bulletins/{bulletin_id}/"


def path_of(n: Notification) -> str:
    """Where the notification leads in the app: its task, its order, the month's indicator entry
    form, its bulletin, or the dashboard (digests)."""
    if n.indicator_id is not None:
        return f"{reverse('indicator-entry')}?month={indicator_due(n)['month']:%Y-%m}"
    if n.task_id is not None:
        return reverse("task-detail", args=[n.task_id])
    if n.order_id is not None:
        return reverse("order-detail", args=[n.order_id])
    if n.bulletin_id is not None:
        return bulletin_path(n.bulletin_id)
    return reverse("dashboard")


def render(notification: Notification) -> Message:
    """The message for a notification, in Chinese whatever language the caller runs in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _render(notification)


def _note_line(n: Notification) -> list[str]:
    """A chase by hand carries its note (催办意见), a handoff what its actor wrote."""
    if not n.note:
        return []
    labels = {
        ReminderRule.CHASE: _("催办意见:%(note)s"),
        ReminderRule.TASK_ASSIGNED: _("交办说明:%(note)s"),
        ReminderRule.TASK_RETURNED: _("退回理由:%(note)s"),
        ReminderRule.EXTENSION_APPROVED: _("审批意见:%(note)s"),
        ReminderRule.EXTENSION_REJECTED: _("驳回理由:%(note)s"),
        ReminderRule.INSTRUCTION: _("批示内容:%(note)s"),
        ReminderRule.ORDER_ISSUED: _("整改要求:%(note)s"),
        ReminderRule.ORDER_RETURNED: _("退回理由:%(note)s"),
        ReminderRule.ORDER_RECTIFIED: _("整改情况:%(note)s"),
    }
    label = labels.get(n.rule)
    return [label % {"note": n.note}] if label else []


def _indicator_lines(n: Notification) -> list[str]:
    indicator, due = n.indicator, indicator_due(n)
    kind = FigureKind(due["kind"]).label if due["kind"] in FigureKind.values else ""
    return [
        _("指标:%(indicator)s(%(measure)s)") % {"indicator": indicator.name, "measure": indicator.measure},
        _("填报:%(year)s年%(month)s月%(kind)s数")
        % {"year": due["month"].year, "month": due["month"].month, "kind": kind},
        _("报送截止:%(due)s(还有 %(days)s 天)") % {"due": due["due"].isoformat(), "days": n.step},
    ]


def _render(n: Notification) -> Message:
    url = absolute(path_of(n))
    if n.indicator_id is not None:
        n.indicator = Indicator.objects.get(pk=n.indicator_id)
        return Message(title=title(n), lines=_indicator_lines(n), url=url, items=[])
    if n.task_id is not None:
        # The lines need the task's units and leader: load it once, and the title reads it too.
        n.task = Task.objects.select_related("lead_unit", "responsible_leader").get(pk=n.task_id)
        lines = _task_lines(n.task, n.day)
        if n.milestone_id is None:
            lines += _note_line(n)
        return Message(title=title(n), lines=lines, url=url, items=[])
    if n.order_id is not None:
        n.order = SupervisionOrder.objects.select_related("unit", "group").get(pk=n.order_id)
        lines = _order_lines(n.order) + _note_line(n)
        return Message(title=title(n), lines=lines, url=url, items=[])
    if n.bulletin_id is not None:
        n.bulletin = (
            Bulletin.objects.only("pk", "number", "title", "region__name", "issued_at")
            .select_related("region")
            .get(pk=n.bulletin_id)
        )
        return Message(
            title=title(n),
            lines=_bulletin_lines(n.bulletin, lagging=n.unit_id is not None),
            url=url,
            items=[],
        )
    # The group's daily digest.
    items, total = _digest_items(n)
    lines = [_("逾期事项(新升级的在前):")]
    if total > len(items):
        lines.append(_("以下列出最近升级的 %(shown)s 项,全部事项请见驾驶舱。") % {"shown": len(items)})
    return Message(title=title(n, count=total), lines=lines, url=url, items=items)
