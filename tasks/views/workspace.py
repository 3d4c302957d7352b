"""工作台: what the signed-in user's unit must act on in the current campaign.

A unit sees its open tasks (lead or cooperating) that are overdue, due soon, behind,
awaiting its report, returned, or awaiting close-out. The supervision office also sees
what waits for its decision in its region (extension requests, close-out requests).
Leaders, inspectors, the office and read-only users see the campaign's headline numbers.
Every count links to the task list with the matching filter. The page is a fixed number of
queries whatever the number of tasks: one for the unit's tasks (partitioned in Python), one
aggregate for the numbers, and one limited list for each of the office's queues.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Q,
    Subquery,
)
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .. import seams
from ..flags import behind_q, due_soon_q, overdue_q
from ..models import OPEN_STATUSES, Role, TaskStatus
from ..selectors import (
    access_for,
    awaiting_report_q,
    charged_by_q,
    instructions_with_answers,
    leader_charges,
    pending_extension_subquery,
    tasks_for_my_unit,
    tasks_visible_to,
    with_last_report_of,
    with_lead_report,
    with_return_reason,
)
from .common import current_campaign, render_page

# Rows shown in one list of the workspace; the count links to all of them.
SECTION_ROWS = 20


# ---- The page --------------------------------------------------------------------------------------


def _list_url(**params) -> str:
    return reverse("task-list") + ("?" + urlencode(params) if params else "")


def _section(
    key, title, tasks, count, url, *, tone="secondary", extension=False, show_unit=False, details=False
):
    return {
        "key": key,
        "title": title,
        "tasks": tasks[:SECTION_ROWS],
        "count": count,
        "url": url,
        "tone": tone,
        "more": count > SECTION_ROWS,
        "extension": extension,
        "show_unit": show_unit,
        "details": details,
    }


def _my_sections(user, campaign, today) -> list[dict]:
    """The unit's open tasks in one query, split into the lists a unit acts on."""
    if user.unit_id is None:
        return []
    rows = list(
        with_return_reason(
            with_lead_report(with_last_report_of(tasks_for_my_unit(user, today=today), user.unit_id))
        )
        .filter(campaign=campaign)
        .annotate(
            awaiting_my_report=ExpressionWrapper(awaiting_report_q(today), output_field=BooleanField()),
            extension_pending=Exists(pending_extension_subquery()),
        )
        .order_by("deadline", "code", "id")
    )
    for task in rows:
        task.cooperating = task.lead_unit_id != user.unit_id
    unit = user.unit_id

    def pick(test):
        return [task for task in rows if test(task)]

    overdue = pick(lambda t: t.is_overdue)
    due_soon = pick(lambda t: t.is_due_soon)
    behind = pick(lambda t: t.is_behind)
    awaiting = pick(lambda t: t.awaiting_my_report)
    returned = pick(lambda t: t.returned)
    awaiting_close = pick(lambda t: t.status == TaskStatus.AWAITING_CLOSE)
    sections = [
        _section(
            "overdue", _("逾期"), overdue, len(overdue), _list_url(unit=unit, overdue="true"), tone="danger"
        ),
        _section(
            "due_soon",
            _("临期"),
            due_soon,
            len(due_soon),
            _list_url(unit=unit, due_soon="true"),
            tone="warning",
        ),
        _section(
            "behind", _("进度滞后"), behind, len(behind), _list_url(unit=unit, behind="true"), tone="danger"
        ),
        _section(
            "awaiting_report",
            _("待本单位填报"),
            awaiting,
            len(awaiting),
            _list_url(unit=unit, awaiting_report="true"),
            tone="primary",
        ),
        _section(
            "returned",
            _("被退回"),
            returned,
            len(returned),
            _list_url(unit=unit, returned="true"),
            tone="warning",
        ),
        _section(
            "awaiting_close",
            _("待销号"),
            awaiting_close,
            len(awaiting_close),
            _list_url(unit=unit, status=TaskStatus.AWAITING_CLOSE),
            tone="info",
        ),
    ]
    # A unit's own rows say what the lead unit last reported (存在问题, 下步计划) and why a close-out came back.
    for section in sections:
        section["details"] = True
    return sections


def _office_sections(user, campaign, today) -> list[dict]:
    """What waits for the office's decision in its home region (the region where it may decide)."""
    region = access_for(user).region
    if user.role != Role.OFFICE or region is None:
        return []
    in_region = tasks_visible_to(user, today=today).filter(
        campaign=campaign, lead_unit__path__startswith=region.path
    )
    pending = pending_extension_subquery()
    counts = in_region.aggregate(
        awaiting_close=Count("pk", filter=Q(status=TaskStatus.AWAITING_CLOSE)),
        extensions=Count("pk", filter=Exists(pending)),
    )
    extensions = list(
        in_region.filter(Exists(pending))
        .annotate(
            extension_new_deadline=Subquery(pending.values("new_deadline")[:1]),
            extension_requested_at=Subquery(pending.values("requested_at")[:1]),
        )
        .order_by("extension_requested_at", "id")[:SECTION_ROWS]
    )
    for task in extensions:
        task.extension_pending = True
    awaiting_close = list(
        in_region.filter(status=TaskStatus.AWAITING_CLOSE).order_by("updated_at", "id")[:SECTION_ROWS]
    )
    return [
        _section(
            "office_extensions",
            _("待审批的延期申请"),
            extensions,
            counts["extensions"],
            _list_url(county=region.pk, extension_pending="true"),
            tone="primary",
            extension=True,
            show_unit=True,
        ),
        _section(
            "office_awaiting_close",
            _("待销号(本地区)"),
            awaiting_close,
            counts["awaiting_close"],
            _list_url(county=region.pk, status=TaskStatus.AWAITING_CLOSE),
            tone="info",
            show_unit=True,
        ),
    ]


def _headline(user, campaign, today) -> list[dict]:
    """The campaign's numbers in what I can see: for leaders, inspectors, the office, read-only users."""
    figures = (
        tasks_visible_to(user, today=today)
        .filter(campaign=campaign)
        .aggregate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)),
            overdue=Count("pk", filter=overdue_q(today)),
            due_soon=Count("pk", filter=due_soon_q(today)),
            behind=Count("pk", filter=behind_q(today)),
        )
    )
    return [
        {
            "key": "total",
            "title": _("任务"),
            "count": figures["total"],
            "url": _list_url(),
            "tone": "secondary",
        },
        {
            "key": "closed",
            "title": _("已销号"),
            "count": figures["closed"],
            "url": _list_url(status=TaskStatus.CLOSED),
            "tone": "success",
        },
        {
            "key": "overdue",
            "title": _("逾期"),
            "count": figures["overdue"],
            "url": _list_url(overdue="true"),
            "tone": "danger",
        },
        {
            "key": "due_soon",
            "title": _("临期"),
            "count": figures["due_soon"],
            "url": _list_url(due_soon="true"),
            "tone": "warning",
        },
        {
            "key": "behind",
            "title": _("进度滞后"),
            "count": figures["behind"],
            "url": _list_url(behind="true"),
            "tone": "danger",
        },
    ]


# ---- A leader's charges and 批示 ----------------------------------------------------------------------

# Latest problems shown in a leader's panel; the tasks list links to all of them.
PROBLEM_ROWS = 10


def _leader_panel(user, campaign, today) -> dict | None:
    """For a leader: the units I answer for (LeaderCharge: 分管/包联) with their open, overdue and behind
    tasks, those overdue or behind with the lead unit's latest 存在问题, the latest problems reported,
    and my 批示 with their answers. Three queries: charges, the charged tasks, the 批示."""
    if user.role != Role.LEADER:
        return None
    charges = list(leader_charges(user))
    rows = []
    if charges:
        rows = list(
            with_return_reason(with_lead_report(tasks_visible_to(user, today=today)))
            .filter(charged_by_q(user), campaign=campaign, status__in=OPEN_STATUSES)
            .order_by("deadline", "code", "id")
        )
    units = []
    for charge in charges:
        led = [task for task in rows if task.lead_unit_id == charge.unit_id]
        units.append(
            {
                "charge": charge,
                "open": len(led),
                "overdue": sum(1 for t in led if t.is_overdue),
                "behind": sum(1 for t in led if t.is_behind),
                "url": _list_url(lead_unit=charge.unit_id),
            }
        )
    late = [task for task in rows if task.is_overdue or task.is_behind]
    problems = sorted(
        (task for task in rows if task.lead_report_problems),
        key=lambda t: (t.lead_report_at, t.pk),
        reverse=True,
    )[:PROBLEM_ROWS]
    instructions = list(instructions_with_answers(user).filter(task__campaign=campaign)[:SECTION_ROWS])
    if not charges and not instructions:
        return None
    return {
        "units": units,
        "late": _section(
            "charged_late",
            _("分管/包联单位逾期、滞后的任务"),
            late,
            len(late),
            _list_url(charged_by=user.pk),
            tone="danger",
            show_unit=True,
            details=True,
        ),
        "problems": problems,
        "charged_url": _list_url(charged_by=user.pk),
        "instructions": instructions,
    }


HEADLINE_ROLES = (Role.LEADER, Role.INSPECTOR, Role.OFFICE, Role.READONLY)


def _panels(user) -> list[dict]:
    """What apps above tasks add to the 工作台 (tasks/seams.py), e.g. supervision's 督办单 for my unit."""
    return [panel for make in seams.workspace_panels if (panel := make(user)) is not None]


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    campaign = current_campaign(request)
    context = {
        "nav_section": "workspace",
        "today": today,
        "campaign": campaign,
        "workspace_panels": _panels(user),
    }
    if campaign is not None:
        my_sections = _my_sections(user, campaign, today)
        has_own_tasks = any(section["count"] for section in my_sections)
        show_headline = user.is_superuser or user.role in HEADLINE_ROLES
        context.update(
            my_sections=my_sections,
            has_own_tasks=has_own_tasks,
            # A leader's or inspector's unit rarely leads tasks: say nothing about empty own lists.
            show_my_sections=has_own_tasks or not (show_headline and user.role != Role.OFFICE),
            office_sections=_office_sections(user, campaign, today),
            leader_panel=_leader_panel(user, campaign, today),
            headline=_headline(user, campaign, today) if show_headline else None,
        )
    return render_page(request, "tasks/home.html", "tasks/partials/workspace_body.html", context)


urlpatterns = [path("", home, name="home")]
