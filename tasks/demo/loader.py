"""Builds the demo county (tasks/demo/data.py, task_list.py) through the services, like any other writer.

`build_county()` makes the units, people, leaders' charges, the campaign, its special actions and tasks
with their history, and returns them as a `DemoCounty`; it runs inside the caller's transaction.
supervision.demo.load_demo() calls it, then adds the supervision side, in one transaction: `manage.py
load_demo`.

The demo password is hashed once per load and the hash given to every account: hashing is deliberately
slow (PBKDF2), and 73 accounts each hashing the same password took most of the load's time.
"""

import contextlib
import datetime
from collections import Counter

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tasks import clock, indicators, services
from tasks.models import (
    Campaign,
    ExtensionRequest,
    Indicator,
    IndicatorFigure,
    Instruction,
    Milestone,
    Person,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskStatus,
    Unit,
    UnitKind,
)

from .data import (
    ACTIONS,
    CAMPAIGN_CODE,
    CAMPAIGN_END,
    CAMPAIGN_NAME,
    CAMPAIGN_START,
    CHARGES,
    CITY,
    CITY_UNITS,
    COUNTY,
    COUNTY_UNITS,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    EXTRA_OFFICIALS,
    INDICATOR_REPORTING_DAY,
    INDICATORS,
    INSPECTORS,
    LEADERS,
    OFFICES,
    official_position,
    units_with_officials,
)
from .task_list import TASKS, C, R, TaskSpec


class DemoConflict(Exception):
    """The database holds rows that clash with the demo (e.g. a user named `office`)."""


def demo_exists() -> bool:
    return Campaign.objects.filter(
        name=CAMPAIGN_NAME, owner__name=COUNTY, owner__kind=UnitKind.COUNTY
    ).exists()


def database_is_empty() -> bool:
    """No units, campaigns or people other than superusers: nothing a demo could clash with."""
    return not (
        Unit.objects.exists()
        or Campaign.objects.exists()
        or Person.objects.filter(is_superuser=False).exists()
    )


def build_county() -> "DemoCounty":
    """Build the demo county; raises DemoConflict, writing nothing, when a demo username is taken."""
    county = DemoCounty()
    with transaction.atomic():
        county.build()
    return county


class DemoCounty:
    """The demo county's rows, by the names the data uses: units by name and by slug, people by username,
    unit officials by their unit's slug, special actions by code, tasks by key."""

    def __init__(self):
        self.today = timezone.localdate()
        self.units: dict[str, Unit] = {}  # by name
        self.slugs: dict[str, Unit] = {}  # by slug
        self.people: dict[str, Person] = {}  # by username
        self.officials: dict[str, Person] = {}  # by unit slug
        self.actions: dict[str, SpecialAction] = {}
        self.tasks: dict[str, Task] = {}
        self.campaign: Campaign | None = None

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def build(self) -> None:
        self.check_no_conflicts()
        self.build_units()
        self.build_people()
        office = self.people["office"]
        self.campaign = services.campaign_create(
            owner=self.units[COUNTY],
            name=CAMPAIGN_NAME,
            code=CAMPAIGN_CODE,
            start_date=self.day(CAMPAIGN_START),
            end_date=self.day(CAMPAIGN_END),
            by=office,
        )
        self.build_special_actions(office)
        for index, spec in enumerate(TASKS):
            self.build_task(index, spec, office)
        self.build_indicators(office)

    # ---- units and people ----

    def check_no_conflicts(self) -> None:
        usernames = [name for name, _about in DEMO_ACCOUNTS]
        taken = sorted(Person.objects.filter(username__in=usernames).values_list("username", flat=True))
        if taken:
            raise DemoConflict(
                f"数据库中已有与演示账号同名的用户:{'、'.join(taken)}。请在空数据库中载入演示数据。"
            )

    def unit(
        self, name: str, kind: str, parent: Unit | None, full_name: str = "", sort_order: int = 0
    ) -> Unit:
        # A region made by hand before the demo (say 临汾市) is reused rather than duplicated.
        existing = Unit.objects.filter(parent=parent, name=name).first()
        unit = existing or services.unit_create(
            by=None, name=name, kind=kind, parent=parent, full_name=full_name, sort_order=sort_order
        )
        self.units[name] = unit
        return unit

    def build_units(self) -> None:
        city = self.unit(CITY, UnitKind.CITY, None, "山西省临汾市")
        for order, spec in enumerate(CITY_UNITS):
            self.slugs[spec.slug] = self.unit(spec.name, spec.kind, city, spec.full_name, order)
        self.unit(COUNTY, UnitKind.COUNTY, city, "临汾市洪洞县")
        for order, spec in enumerate(COUNTY_UNITS):
            parent = self.units[spec.parent]
            self.slugs[spec.slug] = self.unit(spec.name, spec.kind, parent, spec.full_name, order)

    def person(self, username: str, unit: Unit, role: str, position: str, password_hash: str) -> Person:
        person = services.person_create(
            by=None, username=username, unit=unit, role=role, position=position, password_hash=password_hash
        )
        self.people[username] = person
        return person

    def build_people(self) -> None:
        # One hash for everyone (its salt included): the password is public anyway, and each hash costs
        # a deliberate fraction of a second.
        password_hash = make_password(DEMO_PASSWORD)
        for spec in (*OFFICES, *LEADERS, *INSPECTORS, *EXTRA_OFFICIALS):
            self.person(spec.username, self.units[spec.unit], spec.role, spec.position, password_hash)
        for spec in units_with_officials():
            unit = self.slugs[spec.slug]
            self.officials[spec.slug] = self.person(
                spec.slug, unit, Role.UNIT_OFFICIAL, official_position(spec), password_hash
            )
        for username, kind, names in CHARGES:
            for name in names:
                services.leader_charge_add(
                    by=None, leader=self.people[username], unit=self.units[name], kind=kind
                )

    def build_special_actions(self, office: Person) -> None:
        for order, spec in enumerate(ACTIONS, start=1):
            self.actions[spec.code] = services.special_action_create(
                campaign=self.campaign,
                name=spec.name,
                code=spec.code,
                by=office,
                lead_unit=self.slugs[spec.lead],
                lead_leader=self.people[spec.leader],
                task_force=[self.officials[slug] for slug in spec.task_force],
                sort_order=order * 10,
            )

    # ---- tasks ----

    def build_task(self, index: int, spec: TaskSpec, office: Person) -> None:
        action = self.actions[spec.action]
        leader = self.people[spec.leader] if spec.leader else action.lead_leader
        lead_official = self.officials[spec.lead]
        history = _History(self, index)
        with history.on(spec.start):
            task = self.create_task(spec, action, leader, office)
        self.tasks[spec.key] = task

        milestones = []
        with history.on(spec.start):
            for title, due, _done in spec.milestones:
                milestones.append(
                    services.milestone_add(task=task, by=office, title=title, due_date=self.day(due))
                )
        self.build_history(spec, task, milestones, history, lead_official, office)

    def create_task(self, spec: TaskSpec, action: SpecialAction, leader: Person, office: Person) -> Task:
        return services.task_create(
            campaign=self.campaign,
            special_action=action,
            title=spec.title,
            lead_unit=self.slugs[spec.lead],
            deadline=self.day(spec.deadline),
            by=office,
            start_date=self.day(spec.start),
            description=spec.description,
            target=spec.target,
            cooperating_units=[self.slugs[slug] for slug in spec.coop],
            responsible_leader=leader,
            priority=spec.priority,
            parent=self.tasks[spec.parent] if spec.parent else None,
        )

    def build_history(self, spec, task, milestones, history, lead_official, office) -> None:
        # The rest of the history, in day order: reports (lead and cooperating) and milestones done.
        steps: list[tuple[int, int, object]] = []
        steps += [(r.day, 0, r) for r in spec.reports]
        steps += [(c.day, 0, c) for c in spec.coop_reports]
        steps += [
            (m.done, 1, (milestone, m)) for milestone, m in zip(milestones, spec.milestones, strict=True)
        ]
        last_percent = -1
        for day, _order, step in sorted((s for s in steps if s[0] is not None), key=lambda s: (s[0], s[1])):
            if not spec.start <= day <= 0:
                raise ValueError(f"demo data: {spec.key} has a step on day {day} outside its time")
            if isinstance(step, R):
                if step.percent < last_percent:
                    raise ValueError(f"demo data: {spec.key}'s progress goes backwards")
                last_percent = step.percent
                with history.on(day):
                    services.progress_report(
                        task=task,
                        by=lead_official,
                        percent=step.percent,
                        done=step.done,
                        problems=step.problems,
                        next_steps=step.next_steps,
                    )
            elif isinstance(step, C):
                with history.on(day):
                    services.progress_report(
                        task=task,
                        by=self.officials[step.unit],
                        percent=step.percent,
                        done=step.done,
                        problems=step.problems,
                        next_steps=step.next_steps,
                    )
            else:
                milestone, _m = step
                with history.on(day):
                    services.milestone_complete(milestone=milestone, by=lead_official, done_on=self.day(day))

        # Today: extensions, instructions and the close-out steps.
        if spec.extension:
            decision, new_deadline, reason = spec.extension
            extension = services.extension_request(
                task=task, by=lead_official, new_deadline=self.day(new_deadline), reason=reason
            )
            if decision == "approved":
                services.extension_decide(
                    extension=extension, by=office, approve=True, reason="同意延期,请抓紧冬季施工。"
                )
        if spec.instruction:
            username, text = spec.instruction
            services.instruction_write(task=task, by=self.people[username], text=text)
        if spec.answer:  # reported after the 批示, so the leader's workspace shows it answered
            answer = spec.answer
            services.progress_report(
                task=task,
                by=lead_official if answer.unit == spec.lead else self.officials[answer.unit],
                percent=answer.percent,
                done=answer.done,
                problems=answer.problems,
                next_steps=answer.next_steps,
            )
        if spec.outcome in ("awaiting", "closed", "returned"):
            services.task_request_close(task=task, by=lead_official, note=spec.outcome_note)
        if spec.outcome == "closed":
            services.task_close(task=task, by=office, note="经核查,同意销号。")
        elif spec.outcome == "returned":
            services.task_return(task=task, by=office, reason=spec.outcome_note)
        elif spec.outcome == "cancelled":
            services.task_cancel(task=task, by=office, reason=spec.outcome_note)

    # ---- indicators ----

    def build_indicators(self, office: Person) -> None:
        """The group meeting's monthly indicators: last month's targets, expected figures and 县统计局's
        actual ones (most confirmed), this month's targets and expected figures."""
        this_month = indicators.month_start(self.today)
        last_month = indicators.month_start(this_month - datetime.timedelta(days=1))
        indicators.indicator_schedule_set(
            campaign=self.campaign, reporting_day=INDICATOR_REPORTING_DAY, remind_days_before=3, by=None
        )
        for order, spec in enumerate(INDICATORS, start=1):
            indicator = indicators.indicator_create(
                campaign=self.campaign,
                name=spec.name,
                measure=spec.measure,
                kind=spec.kind,
                responsible_unit=self.slugs[spec.responsible],
                source_unit=self.slugs[spec.source],
                annual_target=spec.annual_target,
                sort_order=order,
                by=None,
            )
            for month, figures in ((last_month, spec.last_month), (this_month, spec.this_month)):
                indicators.indicator_target_set(
                    indicator=indicator, month=month, target=figures.target, by=None
                )
                indicators.indicator_figure_report(
                    indicator=indicator,
                    month=month,
                    kind="expected",
                    value=figures.expected,
                    gap_reason=figures.gap_reason,
                    measures=figures.measures,
                    by=self.officials[spec.responsible],
                )
                if figures.actual is None:
                    continue
                source = self.officials[spec.source]
                actual = indicators.indicator_figure_report(
                    indicator=indicator,
                    month=month,
                    kind="actual",
                    value=figures.actual,
                    gap_reason=figures.gap_reason,
                    measures=figures.measures,
                    by=source,
                )
                if figures.confirmed:
                    indicators.indicator_figure_confirm(figure=actual, by=source)

    def summary(self) -> dict[str, int]:
        county = self.units[COUNTY]
        return {
            "单位": Unit.objects.filter(path__startswith=county.path).count(),
            "人员": Person.objects.filter(username__in=[name for name, _ in DEMO_ACCOUNTS]).count(),
            "专项行动": SpecialAction.objects.filter(campaign=self.campaign).count(),
            "任务": Task.objects.filter(campaign=self.campaign).count(),
            "进度填报": ProgressReport.objects.filter(task__campaign=self.campaign).count(),
            "节点": Milestone.objects.filter(task__campaign=self.campaign).count(),
            "延期申请": ExtensionRequest.objects.filter(task__campaign=self.campaign).count(),
            "领导批示": Instruction.objects.filter(task__campaign=self.campaign).count(),
            "指标": Indicator.objects.filter(campaign=self.campaign).count(),
            "指标数据": IndicatorFigure.objects.filter(indicator__campaign=self.campaign).count(),
            **{
                f"任务({TaskStatus(status).label})": count
                for status, count in Counter(
                    Task.objects.filter(campaign=self.campaign).values_list("status", flat=True)
                ).items()
            },
            "逾期销号": Task.objects.filter(campaign=self.campaign, closed_late=True).count(),
        }


class _History:
    """Dates a task's story on the days it tells (tasks.clock.story_at): its creation on its start
    day, each report and milestone on its day, at 08:30 + a few minutes, later steps later. The
    services write the rows, timeline events included, with that moment, so the timeline says "3 days
    ago" where the demo does. Steps of today (day 0) happen now; a moment never lies in the future.
    """

    def __init__(self, county: DemoCounty, index: int):
        self.county = county
        self.base_minutes = (index * 37) % 180
        self.step = 0

    def on(self, day: int):
        self.step += 1
        if day >= 0:
            return contextlib.nullcontext()
        moment = datetime.datetime.combine(self.county.day(day), datetime.time(8, 30)) + datetime.timedelta(
            minutes=self.base_minutes + 11 * self.step
        )
        return clock.story_at(timezone.make_aware(moment))
