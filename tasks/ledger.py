"""推进台账: the task list as the office's ledger workbook (the API's `?format=xlsx`, the list page's
button). The importable columns carry the import's headers (tasks.spreadsheet.COLUMNS), so an exported
ledger imports back; the read-only columns after them (进度, 状态, 逾期天数, the lead unit's latest
进展情况/存在问题/下步计划, 更新时间) are ignored by the import."""

import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from winteraction import xlsx

from .models import OPEN_STATUSES, Milestone, Task, TaskCooperation, TaskStatus
from .selectors import with_lead_report
from .spreadsheet import COLUMNS, format_milestones

INDEX_HEADER = "序号"  # recognised (and skipped) by the import, like the headers of COLUMNS

# The importable columns' (kind, width), by field (tasks.spreadsheet.COLUMNS gives order and headers).
KINDS = {
    "code": ("code", None),
    "special_action": ("name", 18),
    "title": ("text", 28),
    "description": ("text", 40),
    "target": ("text", 30),
    "lead_unit": ("name", None),
    "cooperating_units": ("name", 22),
    "responsible_leader": ("name", None),
    "start_date": ("date", None),
    "deadline": ("date", None),
    "milestones": ("text", 30),
}


def columns() -> list[xlsx.Column]:
    read_only = [
        xlsx.Column(_("进度(%)"), "number"),
        xlsx.Column(_("状态"), "name", width=9),
        xlsx.Column(_("逾期天数"), "number"),
        xlsx.Column(_("进展情况"), "text"),
        xlsx.Column(_("存在问题"), "text", width=30),
        xlsx.Column(_("下步计划"), "text", width=30),
        xlsx.Column(_("更新时间"), "datetime"),
    ]
    importable = [xlsx.Column(header, *KINDS[field]) for field, header in COLUMNS]
    return [xlsx.Column(INDEX_HEADER, "index"), *importable, *read_only]


def ledger_tasks(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """`queryset` with what a ledger row reads, in a fixed number of queries whatever its length: the
    lead unit's latest report as subqueries, the cooperating units and the milestones prefetched."""
    cooperations = Prefetch("cooperations", queryset=TaskCooperation.objects.order_by("id"))
    milestones = Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "id"))
    return with_lead_report(queryset).prefetch_related(cooperations, "cooperations__unit", milestones)


def overdue_days(task: Task, today: datetime.date) -> int | None:
    """Open and past its deadline: the days since; closed after its deadline: the days it was late."""
    if task.status in OPEN_STATUSES and task.deadline < today:
        return (today - task.deadline).days
    if task.status == TaskStatus.CLOSED and task.closed_at is not None:
        closed_on = timezone.localdate(task.closed_at)
        if closed_on > task.deadline:
            return (closed_on - task.deadline).days
    return None


def leader_name(person) -> str:
    """The leader's full name as the import matches it; the label (unit and position) when none is set."""
    if person is None:
        return ""
    return person.get_full_name() or str(person)


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    # Excel has no time zones: the local (Asia/Shanghai) wall time.
    return None if moment is None else timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def row(number: int, task: Task, today: datetime.date) -> list:
    values = {
        "code": task.code,
        "special_action": task.special_action.name,
        "title": task.title,
        "description": task.description,
        "target": task.target,
        "lead_unit": task.lead_unit.name,
        "cooperating_units": "、".join(c.unit.name for c in task.cooperations.all()),
        "responsible_leader": leader_name(task.responsible_leader),
        "start_date": task.start_date,
        "deadline": task.deadline,
        "milestones": format_milestones(task.milestones.all()),
    }
    return [
        number,
        *(values[field] for field, _header in COLUMNS),
        task.progress,
        task.get_status_display(),
        overdue_days(task, today),
        getattr(task, "lead_report_done", None),
        getattr(task, "lead_report_problems", None),
        getattr(task, "lead_report_next_steps", None),
        _local(task.updated_at),
    ]


def title(campaign_name: str, today: datetime.date) -> str:
    return _("%(campaign)s推进台账(截至 %(day)s)") % {
        "campaign": campaign_name,
        "day": xlsx.date_in_words(today),
    }


def filename(campaign_name: str, today: datetime.date) -> str:
    return _("%(campaign)s推进台账_%(date)s.xlsx") % {
        "campaign": campaign_name,
        "date": today.strftime("%Y%m%d"),
    }


def ascii_filename(today: datetime.date) -> str:
    return f"ledger_{today:%Y%m%d}.xlsx"


def campaign_name(tasks: list[Task], named=None, only=None) -> str:
    """The campaign the ledger is of: the one the list is filtered to (`named`), else the one all its
    tasks belong to, else the caller's only campaign (`only`), else the generic 冬季行动."""
    if named is not None:
        return named.name
    campaigns = {task.campaign_id: task.campaign for task in tasks}
    if len(campaigns) == 1:
        return next(iter(campaigns.values())).name
    if not campaigns and only is not None:
        return only.name
    return _("冬季行动")


def workbook(tasks, *, campaign_name: str, today: datetime.date, filters: str = "") -> bytes:
    """The ledger of `tasks` (from ledger_tasks(), in the list's order) as .xlsx bytes."""
    return xlsx.workbook(
        sheet=_("台账"),
        title=title(campaign_name, today),
        subtitle=_("筛选:%(filters)s") % {"filters": filters} if filters else "",
        columns=columns(),
        rows=(row(number, task, today) for number, task in enumerate(tasks, start=1)),
    )
