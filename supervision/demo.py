"""The demo's supervision side, and `load_demo()`: the whole demo county, built once (`manage.py load_demo`).

tasks/demo/ builds the county (units, people, special actions, tasks and their history); this module adds
what the supervision groups did there: the city's sixth group and the county's 两办 group, the sixth
group's inspection of 万安镇 and the emergency bureau two days ago, and the two supervision orders its
findings led to. Both go through the services, in one transaction. It lives here rather than in
tasks/demo/ because dependencies go from supervision to tasks, never back.

Units are named as in tasks/demo/data.py, people by username; days are offsets from today.
"""

import contextlib
import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from supervision.models import InspectionKind, SupervisionGroup, SupervisionOrder, Urgency
from supervision.services import group_create, inspection_record, order_acknowledge, order_issue
from tasks import clock
from tasks.demo.data import CITY, COUNTY
from tasks.demo.loader import DemoCounty, build_county, database_is_empty, demo_exists
from tasks.models import Task

# ---- Data ------------------------------------------------------------------------------------------


class GroupSpec(NamedTuple):
    name: str
    issuing_unit: str  # unit name
    by: str  # the issuing unit's office who forms the group
    scope_units: tuple[str, ...]
    leader: str
    members: tuple[str, ...]
    order_prefix: str


GROUPS = (
    GroupSpec(
        "市“冬季行动”第六督导检查组",
        CITY,
        "lf_office",
        (COUNTY,),
        "dd6_zuzhang",
        ("inspector", "dd6_zuyuan"),
        "临督",
    ),
    GroupSpec(
        "县委办县政府办联合督查组",
        COUNTY,
        "office",
        (
            *("万安镇", "山目乡", "赵城镇", "刘家垣镇", "兴唐寺乡", "苏堡镇"),
            *("县应急管理局", "县能源局", "县文旅局", "县住建局"),
        ),
        "ldb_zuzhang",
        ("ldb_zuyuan", "zfb_office"),
        "洪督",
    ),
)


class FindingSpec(NamedTuple):
    """A finding of the inspection and the supervision order it led to."""

    unit: str
    on_first_task: bool  # about the unit's first task (by code), which the inspection checked
    text: str
    requirement: str
    deadline: int
    urgency: str
    acknowledged_by: str = ""  # the unit's official who has signed for the order


INSPECTING_GROUP = GROUPS[0].name
INSPECTOR = "inspector"
INSPECTION_DAY = -2
INSPECTION_SUMMARY = "实地检查万安煤业“三堂一舍”和井下综采工作面,抽查县应急管理局隐患排查台账。"
FINDINGS = (
    FindingSpec(
        "万安镇",
        True,
        "万安煤业宿舍消防通道堆放杂物,应急照明损坏2处。",
        "立即清理消防通道,更换损坏的应急照明,整改情况附照片反馈。",
        5,
        Urgency.YELLOW,
        acknowledged_by="wanan",
    ),
    FindingSpec(
        "县应急管理局",
        False,
        "隐患排查台账未按周更新,11月第3周缺报。",
        "补齐缺报台账,建立每周五更新制度。",
        3,
        Urgency.BLUE,
    ),
)


# ---- Building --------------------------------------------------------------------------------------


def load_demo(*, if_empty: bool = False) -> dict[str, int] | None:
    """Build the whole demo county; return counts of what was made.

    Returns None, writing nothing, when the demo is already there or, with `if_empty`,
    when the database holds any units, campaigns or (non-superuser) people. Raises
    tasks.demo.loader.DemoConflict, writing nothing, when a demo username is taken.
    """
    with transaction.atomic():
        if demo_exists() or (if_empty and not database_is_empty()):
            return None
        county = build_county()
        groups = build_groups(county)
        build_inspection(county, groups[INSPECTING_GROUP])
        return {**county.summary(), **summary(county)}


def build_groups(county: DemoCounty) -> dict[str, SupervisionGroup]:
    people = county.people
    return {
        spec.name: group_create(
            name=spec.name,
            issuing_unit=county.units[spec.issuing_unit],
            by=people[spec.by],
            scope_units=[county.units[name] for name in spec.scope_units],
            leader=people[spec.leader],
            members=[people[username] for username in spec.members],
            order_prefix=spec.order_prefix,
        )
        for spec in GROUPS
    }


def build_inspection(county: DemoCounty, group: SupervisionGroup) -> None:
    """The group inspects the findings' units, then issues an order for each finding."""
    inspector = county.people[INSPECTOR]
    first_tasks = {
        spec.unit: Task.objects.filter(campaign=county.campaign, lead_unit=county.units[spec.unit])
        .order_by("code")
        .first()
        for spec in FINDINGS
        if spec.on_first_task
    }
    with story_at(county, INSPECTION_DAY, datetime.time(10, 0)):
        inspection = inspection_record(
            group=group,
            by=inspector,
            kind=InspectionKind.ON_SITE,
            date=county.day(INSPECTION_DAY),
            summary=INSPECTION_SUMMARY,
            units=[county.units[spec.unit] for spec in FINDINGS],
            tasks=[task for task in first_tasks.values() if task],
            findings=[
                {"unit": county.units[spec.unit], "text": spec.text}
                | ({"task": first_tasks[spec.unit]} if spec.on_first_task else {})
                for spec in FINDINGS
            ],
        )
    for spec, finding in zip(FINDINGS, inspection.findings.order_by("id"), strict=True):
        with story_at(county, INSPECTION_DAY, datetime.time(16, 30)):
            order = _issue(county, group, inspector, spec, finding)
        if spec.acknowledged_by:
            with story_at(county, INSPECTION_DAY + 1, datetime.time(9, 10)):
                order_acknowledge(order=order, by=county.people[spec.acknowledged_by])


def story_at(county: DemoCounty, day: int, time: datetime.time):
    """The demo's story is dated on the day it tells (tasks.clock), the timeline included."""
    if day >= 0:
        return contextlib.nullcontext()
    return clock.story_at(timezone.make_aware(datetime.datetime.combine(county.day(day), time)))


def _issue(county, group, inspector, spec, finding):
    return order_issue(
        group=group,
        by=inspector,
        unit=county.units[spec.unit],
        problem=finding.text,
        requirement=spec.requirement,
        deadline=county.day(spec.deadline),
        urgency=spec.urgency,
        finding=finding,
    )


def summary(county: DemoCounty) -> dict[str, int]:
    home = county.units[COUNTY]
    return {
        "督导检查组": SupervisionGroup.objects.filter(scope_units=home).count()
        + SupervisionGroup.objects.filter(issuing_unit=home).count(),
        "督办单": SupervisionOrder.objects.filter(unit__path__startswith=home.path).count(),
    }
