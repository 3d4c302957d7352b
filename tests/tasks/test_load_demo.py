"""`manage.py load_demo`: 洪洞县's Winter Action, built through the services, once.

The county is tasks/demo/; its supervision side, and the command, are in supervision/."""

import io
import re

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.test import RequestFactory
from django.utils import timezone

from supervision.models import SupervisionGroup
from tasks import services
from tasks.demo.data import CAMPAIGN_NAME, DEMO_ACCOUNTS
from tasks.demo.loader import demo_exists
from tasks.models import (
    Campaign,
    EventKind,
    ExtensionStatus,
    Instruction,
    Person,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskEvent,
    TaskStatus,
    Unit,
)
from tasks.selectors import tasks_for_my_unit

# Each test builds the whole demo county: seconds apiece (make test-fast skips them).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def campaign():
    call_command("load_demo", "--quiet")
    return Campaign.objects.get(name=CAMPAIGN_NAME)


def counts_of_every_model() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_demo_builds_the_county_campaign_inside_today(campaign):
    today = timezone.localdate()
    assert campaign.owner.name == "洪洞县"
    assert campaign.owner.parent.name == "临汾市"
    assert campaign.code == "HD"
    assert campaign.start_date < today < campaign.end_date


def test_demo_has_at_least_ten_special_actions_each_with_a_lead_and_task_force(campaign):
    actions = SpecialAction.objects.filter(campaign=campaign).annotate(members=Count("task_force"))
    assert actions.count() >= 10
    for action in actions:
        assert action.lead_unit is not None and action.lead_leader.role == Role.LEADER
        assert action.members > 0
    assert {"AQ", "JJ", "XM"} <= set(actions.values_list("code", flat=True))


def test_demo_has_at_least_forty_units_under_the_county(campaign):
    units = Unit.objects.filter(path__startswith=campaign.owner.path).exclude(pk=campaign.owner.pk)
    assert units.count() >= 40
    assert {"万安镇", "县应急管理局", "洪洞经开区", "悦昌煤矿"} <= set(units.values_list("name", flat=True))


def test_demo_has_at_least_sixty_tasks_with_generated_codes(campaign):
    tasks = Task.objects.filter(campaign=campaign)
    assert tasks.count() >= 60
    assert all(re.fullmatch(r"HD-[A-Z]{2}-\d{3}", code) for code in tasks.values_list("code", flat=True))
    assert tasks.filter(parent__isnull=False).exists()
    assert not tasks.filter(responsible_leader__isnull=True).exists()
    assert set(tasks.values_list("responsible_leader__role", flat=True)) == {Role.LEADER}


MAIN_ACCOUNTS = [
    ("office", Role.OFFICE, "县委办"),
    ("leader", Role.LEADER, "洪洞县"),
    ("inspector", Role.INSPECTOR, "市委办"),
    ("wanan", Role.UNIT_OFFICIAL, "万安镇"),
    ("yingji", Role.UNIT_OFFICIAL, "县应急管理局"),
]


def test_the_five_demo_accounts_log_in_with_the_demo_password_and_their_roles(campaign):
    for username, role, unit in MAIN_ACCOUNTS:
        person = authenticate(RequestFactory().post("/login/"), username=username, password="winteraction")
        assert person is not None, username
        assert (person.role, person.unit.name) == (role, unit)


class CountingHasher(MD5PasswordHasher):
    """The suite's fast hasher, counting the passwords it hashes (verifying one hashes it too)."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


def test_the_demo_password_is_hashed_once_and_opens_every_demo_account(db, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.hashed = 0
    call_command("load_demo", "--quiet")
    assert CountingHasher.hashed == 1
    usernames = [username for username, _about in DEMO_ACCOUNTS]
    assert Person.objects.filter(username__in=usernames).values("password").distinct().count() == 1
    for username in usernames:
        person = authenticate(RequestFactory().post("/login/"), username=username, password="winteraction")
        assert person is not None, username


def test_every_listed_demo_account_exists(campaign):
    usernames = [username for username, _about in DEMO_ACCOUNTS]
    assert usernames[:5] == ["office", "leader", "inspector", "wanan", "yingji"]
    assert len(set(usernames)) == len(usernames)
    assert Person.objects.filter(username__in=usernames).count() == len(usernames)


def test_today_some_tasks_are_overdue_some_due_soon_and_some_behind(campaign):
    flags = Task.objects.filter(campaign=campaign).with_flags()
    totals = flags.aggregate(
        overdue=Count("pk", filter=Q(is_overdue=True)),
        due_soon=Count("pk", filter=Q(is_due_soon=True)),
        behind=Count("pk", filter=Q(is_behind=True)),
    )
    assert totals["overdue"] >= 3
    assert totals["due_soon"] >= 3
    assert totals["behind"] >= 3


def test_one_task_was_closed_late_and_others_on_time(campaign):
    closed = Task.objects.filter(campaign=campaign, status=TaskStatus.CLOSED)
    assert closed.filter(closed_late=True).count() == 1
    assert closed.filter(closed_late=False).exists()


def test_tasks_are_awaiting_close_returned_and_cancelled(campaign):
    tasks = Task.objects.filter(campaign=campaign)
    assert tasks.filter(status=TaskStatus.AWAITING_CLOSE).exists()
    assert tasks.filter(status=TaskStatus.IN_PROGRESS, returned=True).count() == 1
    cancelled = tasks.get(status=TaskStatus.CANCELLED)
    assert cancelled.events.get(kind=EventKind.CANCELLED).note


def test_one_extension_is_pending_and_an_approved_one_kept_the_original_deadline(campaign):
    pending = Task.objects.filter(campaign=campaign, extension_requests__status=ExtensionStatus.PENDING)
    assert pending.count() == 1
    extended = Task.objects.get(campaign=campaign, extension_requests__status=ExtensionStatus.APPROVED)
    assert extended.original_deadline is not None
    assert extended.deadline > extended.original_deadline


def test_the_county_head_wrote_an_instruction_on_a_lagging_task(campaign):
    instruction = Instruction.objects.get(leader__username="leader")
    flags = instruction.task.flags_on()
    assert flags["is_behind"]


def test_the_city_and_the_county_supervision_groups_exist(campaign):
    county = campaign.owner
    city_group = SupervisionGroup.objects.get(issuing_unit=county.parent)
    assert "第六督导检查组" in city_group.name
    assert list(city_group.scope_units.all()) == [county]
    assert city_group.members.filter(username="inspector").exists()
    county_group = SupervisionGroup.objects.get(issuing_unit=county)
    assert county_group.name == "县委办县政府办联合督查组"
    assert county_group.order_prefix == "洪督"
    assert county_group.scope_units.filter(name="万安镇").exists()


def test_every_task_has_a_created_event(campaign):
    tasks = Task.objects.filter(campaign=campaign)
    created = TaskEvent.objects.filter(task__campaign=campaign, kind=EventKind.CREATED)
    assert created.count() == tasks.count()
    assert set(created.values_list("task", flat=True)) == set(tasks.values_list("pk", flat=True))


def test_progress_history_spans_weeks_and_each_timeline_reads_in_order(campaign):
    now = timezone.now()
    reports = ProgressReport.objects.filter(task__campaign=campaign)
    oldest = min(reports.values_list("submitted_at", flat=True))
    assert (now - oldest).days >= 14
    for task in Task.objects.filter(campaign=campaign).prefetch_related("events"):
        timeline = sorted(task.events.all(), key=lambda event: (event.at, event.pk))
        assert timeline[0].kind == EventKind.CREATED, task.code  # the story starts with the task
        assert timeline[-1].at <= now


def test_the_timeline_dates_each_step_on_the_day_the_demo_tells(campaign, client):
    """A report the demo says was made N days ago is on the timeline N days ago, not at load time."""
    today = timezone.localdate()
    report = ProgressReport.objects.filter(task__campaign=campaign, submitted_at__date__lt=today).earliest(
        "submitted_at"
    )
    day = timezone.localdate(report.submitted_at)
    assert (today - day).days >= 14
    event = TaskEvent.objects.get(
        task=report.task, kind=EventKind.PROGRESS_REPORTED, actor=report.submitted_by, at=report.submitted_at
    )
    created = TaskEvent.objects.get(task=report.task, kind=EventKind.CREATED)
    assert created.at < event.at
    assert timezone.localdate(created.at) == report.task.start_date
    client.force_login(Person.objects.get(username="office"))
    html = client.get(f"/tasks/{report.task.pk}/").content.decode()
    assert timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M") in html
    # The inspection's orders are on their tasks' timelines two days ago, like the inspection.
    issued = TaskEvent.objects.filter(task__campaign=campaign, kind=EventKind.ORDER_ISSUED)
    assert issued.exists()
    assert {(today - timezone.localdate(e.at)).days for e in issued} == {2}


def test_running_it_twice_changes_nothing(campaign):
    before = counts_of_every_model()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert counts_of_every_model() == before
    assert "已存在" in out.getvalue()


def test_the_command_prints_a_summary_and_the_demo_accounts(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "任务" in text
    for username, _about in DEMO_ACCOUNTS[:5]:
        assert username in text


def test_if_empty_leaves_a_database_with_data_alone(db):
    services.unit_create(by=None, name="运城市", kind="city")
    before = counts_of_every_model()
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert counts_of_every_model() == before
    assert "--if-empty" in out.getvalue()


def test_if_empty_builds_the_demo_on_an_empty_database(db):
    call_command("load_demo", "--if-empty", "--quiet")
    assert demo_exists()


def test_a_clashing_username_stops_the_demo_without_writing_anything(db):
    services.person_create(by=None, username="office", unit=None, role=Role.OFFICE, is_superuser=True)
    before = counts_of_every_model()
    with pytest.raises(CommandError, match="office"):
        call_command("load_demo")
    assert counts_of_every_model() == before


def test_the_wanan_official_sees_wanans_tasks_on_the_unit_page(campaign):
    wanan = Person.objects.get(username="wanan")
    mine = tasks_for_my_unit(wanan)
    assert mine.filter(lead_unit__name="万安镇").exists()
    assert mine.filter(cooperations__unit__name="万安镇").exists()
    assert not mine.exclude(Q(lead_unit=wanan.unit) | Q(cooperations__unit=wanan.unit)).exists()


def test_wanan_has_overdue_and_due_soon_work_today(campaign):
    from tasks.models import Person
    from tasks.selectors import tasks_for_my_unit

    flags = list(
        tasks_for_my_unit(Person.objects.get(username="wanan")).values_list("is_overdue", "is_due_soon")
    )
    assert any(overdue for overdue, _ in flags)
    assert any(due_soon for _, due_soon in flags)


def test_the_city_group_has_inspected_and_issued_two_orders(campaign):
    from supervision.models import Inspection, OrderStatus, SupervisionOrder

    assert Inspection.objects.filter(group__name="市“冬季行动”第六督导检查组").count() == 1
    orders = SupervisionOrder.objects.order_by("sequence")
    assert [order.number for order in orders] == [f"临督〔{timezone.localdate().year}〕{n}号" for n in (1, 2)]
    assert [order.status for order in orders] == [OrderStatus.ACKNOWLEDGED, OrderStatus.ISSUED]


# ---- What the workspaces of the demo's leader and inspector show (issue 13) -----------------------------


def test_cooperating_units_report_problems_and_next_steps(campaign):
    cooperating = ProgressReport.objects.filter(task__campaign=campaign).exclude(unit=F("task__lead_unit"))
    assert cooperating.exclude(problems="").exclude(next_steps="").count() >= 2


def test_the_county_heads_workspace_shows_units_in_charge_problems_and_an_answered_instruction(
    campaign, client
):
    leader = Person.objects.get(username="leader")
    assert leader.charges.filter(kind="liaison").exists()
    client.force_login(leader)
    page = client.get("/").content.decode()
    assert 'data-section="charged_units"' in page and 'data-charged-unit="万安镇"' in page
    problems = re.search(r'data-section="charged_problems">(.*?)</section>', page, re.S).group(1)
    assert "data-task=" in problems
    instructions = re.search(r'data-section="my_instructions">(.*?)</section>', page, re.S).group(1)
    assert "data-answer" in instructions and "绿色通道" in instructions


def test_the_inspectors_workspace_lists_the_inspection_they_recorded(campaign, client):
    client.force_login(Person.objects.get(username="inspector"))
    page = client.get("/").content.decode()
    inspections = re.search(r'data-section="my_inspections">(.*?)</section>', page, re.S).group(1)
    assert "data-inspection=" in inspections


def test_the_indicators_show_two_months_some_behind_and_some_confirmed_by_the_statistics_bureau(campaign):
    from tasks.indicators import indicator_table

    office = Person.objects.get(username="office")
    table = indicator_table(office, campaign=campaign)

    names = [row["name"] for row in table]
    assert names[:5] == [
        "固定资产投资",
        "规上工业增加值增速",
        "建筑业产值",
        "城镇居民人均可支配收入",
        "农村居民人均可支配收入",
    ]
    assert all(
        len(row["months"]) == 2 and all(cell["target"] is not None for cell in row["months"]) for row in table
    )
    last_month = [row["months"][0] for row in table]
    behind = [cell for cell in last_month if cell["behind"]]
    assert behind and all(cell["actual_figure"]["gap_reason"] for cell in behind)
    confirmed = [cell for cell in last_month if cell["actual_figure"] and cell["actual_figure"]["confirmed"]]
    assert 0 < len(confirmed) < len(table)
    assert {row["source_unit"]["name"] for row in table} == {"县统计局"}
