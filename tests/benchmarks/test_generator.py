"""`python -m tests.benchmarks.generate_scale` (tests/benchmarks/scale.py): a small province on PostgreSQL,
held against the rows the services write for the same steps, the models' invariants, the schema it must leave as it found it,
and the dashboard's figures.

Each test generates 2 counties × 300 tasks (a few seconds); without PostgreSQL they are skipped.
"""

import datetime
import io
import os
import subprocess
import sys
from collections import Counter, defaultdict

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from conftest import need
from supervision import dashboard
from supervision.models import OrderEvent, OrderSequence, SupervisionGroup, SupervisionOrder
from supervision.services import order_number
from tasks import services
from tasks.flags import overdue_q
from tasks.models import (
    Campaign,
    Person,
    ProgressReport,
    SpecialAction,
    Task,
    TaskCooperation,
    TaskEvent,
    TaskStatus,
    Unit,
    UnitKind,
)
from tests.benchmarks.generate_scale import Command as GenerateScale
from tests.benchmarks.scale import BIG_TABLES, Unindexed, data_tables, schema_snapshot
from tests.reminders.e2e_support import database_url, wait_for

COUNTIES, TASKS_PER_COUNTY = 2, 300

pytestmark = pytest.mark.slow  # each test generates a small province (make test-fast skips them)


def generate(*extra: str, seed: int = 1) -> str:
    err = io.StringIO()
    call_command(
        GenerateScale(),
        "--counties",
        str(COUNTIES),
        "--tasks-per-county",
        str(TASKS_PER_COUNTY),
        "--seed",
        str(seed),
        *extra,
        stdout=io.StringIO(),
        stderr=err,
    )
    return err.getvalue()


@pytest.fixture
def province(postgres):
    generate()
    return Campaign.objects.select_related("owner").get(code="X001")


def fingerprint() -> dict[str, str]:
    """An md5 of every row of every table: equal fingerprints, equal databases."""
    out = {}
    with connection.cursor() as cursor:
        for table in data_tables():
            q = connection.ops.quote_name(table)
            cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {q} t")
            out[table] = cursor.fetchone()[0]
    return out


def filled_columns(row) -> set[str]:
    return {
        field.attname for field in type(row)._meta.concrete_fields if getattr(row, field.attname) is not None
    }


def shape_of(data: dict) -> dict[str, str]:
    """A JSON object's keys with the type of each value."""
    return {key: type(value).__name__ for key, value in data.items()}


# ---- Safety and the schema ---------------------------------------------------------------------------


def test_refuses_anything_but_postgresql(db, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        generate()


def test_refuses_a_database_that_already_has_data(postgres):
    services.unit_create(by=None, name="临汾市", kind="city")
    with pytest.raises(CommandError, match="--reset"):
        generate()
    assert Task.objects.count() == 0
    assert Unit.objects.get().name == "临汾市"


def test_reset_empties_the_database_first(postgres):
    services.unit_create(by=None, name="临汾市", kind="city")
    generate("--reset")
    assert not Unit.objects.filter(name="临汾市").exists()
    assert Task.objects.count() == COUNTIES * TASKS_PER_COUNTY


def test_every_index_constraint_and_trigger_is_back_afterwards(postgres):
    before = schema_snapshot()
    assert before["indexes"] and before["constraints"] and before["triggers"]
    generate()
    assert schema_snapshot() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE NOT convalidated AND conrelid::regclass::text = ANY(%s)",
            [list(BIG_TABLES)],
        )
        assert cursor.fetchone()[0] == 0


def test_the_timeline_stays_append_only(province):
    event = TaskEvent.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TaskEvent.objects.filter(pk=event.pk).update(note="rewritten")


def test_same_seed_same_rows_and_another_seed_other_rows(postgres):
    generate("--today", "2025-12-10")
    first = fingerprint()
    generate("--today", "2025-12-10", "--reset")
    assert fingerprint() == first
    generate("--today", "2025-12-10", "--reset", seed=2)
    assert fingerprint()["tasks_task"] != first["tasks_task"]


def test_shows_progress_on_stderr(postgres):
    err = generate()
    assert "100%" in err and "tasks and timeline" in err


# ---- The province ----------------------------------------------------------------------------------------


def test_builds_a_province_of_cities_counties_and_units(province):
    assert Unit.objects.filter(kind=UnitKind.PROVINCE).count() == 1
    counties = Unit.objects.filter(kind=UnitKind.COUNTY)
    assert counties.count() == COUNTIES
    for county in counties:
        units = Unit.objects.filter(path__startswith=county.path).exclude(pk=county.pk)
        assert units.count() == 30
        assert {"县委办", "县应急管理局"} <= set(units.values_list("name", flat=True))
        assert Counter(units.values_list("kind", flat=True))[UnitKind.TOWNSHIP] == 10
        assert Campaign.objects.filter(owner=county).count() == 1
        assert Person.objects.filter(unit__path__startswith=county.path, role="office").exists()
        assert Person.objects.filter(unit=county, role="leader").exists()
        assert SupervisionGroup.objects.filter(issuing_unit=county).count() == 1
        assert SupervisionGroup.objects.filter(issuing_unit=county.parent, scope_units=county).exists()
    for unit in Unit.objects.exclude(kind__in=(UnitKind.PROVINCE, UnitKind.CITY)):
        assert unit.people.exists(), unit
    assert SpecialAction.objects.filter(campaign=province).count() == 6
    assert Person.objects.get(username="x001_office").check_password("winteraction")


def test_statuses_deadlines_and_responsibilities_are_spread(province):
    today = timezone.localdate()
    tasks = Task.objects.all()
    statuses = Counter(tasks.values_list("status", flat=True))
    assert set(statuses) == set(TaskStatus.values)
    assert statuses[TaskStatus.IN_PROGRESS] > statuses[TaskStatus.CANCELLED] > 0
    assert tasks.filter(deadline__lt=today).exists()
    assert tasks.filter(deadline__gt=today + datetime.timedelta(days=30)).exists()
    assert tasks.filter(overdue_q(today)).exists()
    per_task = TaskCooperation.objects.count() / tasks.count()
    reports = ProgressReport.objects.count() / tasks.count()
    assert 1.3 < per_task < 1.8 and 1.6 < reports < 2.4


# ---- What the services would have written ------------------------------------------------------------------


def test_rows_and_events_match_what_the_services_write(province):
    office = Person.objects.get(username="x001_office")
    lead = Person.objects.get(username="x001_yingji")
    helper = Person.objects.get(username="x001_t01")
    leader = Person.objects.get(username="x001_changwu")
    action = SpecialAction.objects.filter(campaign=province).first()
    today = timezone.localdate()

    def made(**kwargs):
        return services.task_create(
            campaign=province,
            special_action=action,
            title="对照任务",
            lead_unit=lead.unit,
            deadline=today + datetime.timedelta(days=10),
            by=office,
            description="由服务写入,用于对照。",
            target="与生成的数据对照。",
            cooperating_units=[helper.unit],
            responsible_leader=leader,
            **kwargs,
        )

    first_free = Task.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    closed = made()
    assert closed.pk == first_free  # the sequences continue after the generated rows
    services.progress_report(task=closed, by=helper, percent=30, done="配合单位完成摸排。")
    services.progress_report(task=closed, by=lead, percent=60, done="完成隐患排查。")
    services.task_request_close(task=closed, by=lead, note="申请销号。")
    services.task_close(task=closed, by=office)
    returned = made()
    services.progress_report(task=returned, by=lead, percent=90, done="基本完成。")
    services.task_request_close(task=returned, by=lead)
    services.task_return(task=returned, by=office, reason="佐证材料不全。")
    cancelled = made()
    services.task_cancel(task=cancelled, by=office, reason="任务调整。")
    service_ids = {closed.pk, returned.pk, cancelled.pk}

    generated = Task.objects.exclude(pk__in=service_ids)
    for service_task, example in (
        (Task.objects.get(pk=closed.pk), generated.filter(status=TaskStatus.CLOSED).first()),
        (Task.objects.get(pk=returned.pk), generated.filter(returned=True).first()),
        (Task.objects.get(pk=cancelled.pk), generated.filter(status=TaskStatus.CANCELLED).first()),
    ):
        assert filled_columns(example) == filled_columns(service_task)
    assert filled_columns(ProgressReport.objects.filter(task=closed).first()) == filled_columns(
        ProgressReport.objects.exclude(task__in=service_ids).first()
    )
    assert filled_columns(TaskCooperation.objects.get(task=closed)) == filled_columns(
        TaskCooperation.objects.exclude(task__in=service_ids).first()
    )

    def shapes(events):
        by_kind = defaultdict(set)
        for event in events:
            by_kind[event.kind].add(
                (tuple(sorted(shape_of(event.before).items())), tuple(sorted(shape_of(event.after).items())))
            )
        return by_kind

    written = shapes(TaskEvent.objects.filter(task__in=service_ids))
    made_here = shapes(TaskEvent.objects.exclude(task__in=service_ids).exclude(kind__startswith="order_"))
    assert set(written) == set(made_here)
    for kind, forms in written.items():
        assert forms <= made_here[kind], kind
        # progress_reported: the generator's lead and cooperating reports share one form
        assert len(made_here[kind]) == 1, kind

    # The values, not only the keys: a closed event's closed_at is the task's, as isoformat() writes it.
    event = (
        TaskEvent.objects.filter(kind="closed").exclude(task__in=service_ids).select_related("task").first()
    )
    assert datetime.datetime.fromisoformat(event.after["closed_at"]) == event.task.closed_at
    assert event.after["closed_late"] == event.task.closed_late
    created = TaskEvent.objects.filter(kind="created", task=event.task).get()
    assert created.after["code"] == event.task.code
    assert created.after["cooperating_unit_ids"] == list(
        TaskCooperation.objects.filter(task=event.task).order_by("pk").values_list("unit_id", flat=True)
    )


def test_generated_rows_pass_full_clean(province):
    samples = [
        *Task.objects.order_by("?")[:60],
        *ProgressReport.objects.order_by("?")[:60],
        *TaskCooperation.objects.order_by("?")[:60],
        *TaskEvent.objects.order_by("?")[:60],
        *SupervisionOrder.objects.all()[:20],
        *Unit.objects.all()[:40],
        *Person.objects.all()[:40],
        *SpecialAction.objects.all(),
        *Campaign.objects.all(),
        *SupervisionGroup.objects.all(),
    ]
    for row in samples:
        row.full_clean()


def test_each_task_tells_one_consistent_story(province):
    events = defaultdict(list)
    for event in TaskEvent.objects.order_by("at", "pk"):
        events[event.task_id].append(event)
    reports = defaultdict(list)
    for report in ProgressReport.objects.order_by("submitted_at", "pk"):
        reports[report.task_id].append(report)
    cooperating = defaultdict(set)
    for task_id, unit_id in TaskCooperation.objects.values_list("task_id", "unit_id"):
        cooperating[task_id].add(unit_id)
    for task in Task.objects.all():
        story = [e.kind for e in events[task.pk] if not e.kind.startswith("order_")]
        lead_reports = [r for r in reports[task.pk] if r.unit_id == task.lead_unit_id]
        assert story[0] == "created" and story.count("created") == 1
        assert events[task.pk][0].at == task.created_at
        assert task.updated_at >= max(e.at for e in events[task.pk] if not e.kind.startswith("order_"))
        assert story.count("progress_reported") == len(reports[task.pk])
        assert task.lead_unit_id not in cooperating[task.pk]
        assert all(
            r.unit_id == task.lead_unit_id or r.unit_id in cooperating[task.pk] for r in reports[task.pk]
        )
        assert all(r.submitted_by.unit_id == r.unit_id for r in reports[task.pk])
        assert all(task.created_at < r.submitted_at for r in reports[task.pk])
        percents = [r.percent for r in lead_reports]
        assert percents == sorted(percents)
        assert (task.status == TaskStatus.NOT_STARTED) == (not lead_reports and task.status != "cancelled")
        if task.status == TaskStatus.IN_PROGRESS and not task.returned:
            assert task.progress == percents[-1]
            assert story[1:] == ["progress_reported"] * len(reports[task.pk])
        if task.status in (TaskStatus.AWAITING_CLOSE, TaskStatus.CLOSED) or task.returned:
            request = next(e for e in events[task.pk] if e.kind == "close_requested")
            assert task.progress == 100 and lead_reports
            assert all(r.submitted_at < request.at for r in reports[task.pk])
            assert request.before["progress"] == percents[-1]
        if task.status == TaskStatus.CLOSED:
            assert story[-2:] == ["close_requested", "closed"]
            local_close = timezone.localdate(task.closed_at)
            assert task.closed_late == (local_close > task.deadline)
        if task.returned:
            assert story[-2:] == ["close_requested", "returned"]
        if task.status == TaskStatus.CANCELLED:
            assert story[-1] == "cancelled"
        assert task.start_date <= task.deadline and task.start_date == timezone.localdate(task.created_at)
        assert events[task.pk][-1].at < timezone.now()


def test_codes_are_numbered_per_special_action_like_task_create(province):
    for campaign in Campaign.objects.all():
        for action in campaign.special_actions.all():
            codes = list(
                Task.objects.filter(special_action=action).order_by("pk").values_list("code", flat=True)
            )
            assert codes == [f"{campaign.code}-{action.code}-{n:03d}" for n in range(1, len(codes) + 1)]
    assert Task.objects.values("campaign", "code").annotate(n=Count("pk")).filter(n__gt=1).count() == 0


def test_order_numbers_are_gapless_per_group_and_year(province):
    orders = SupervisionOrder.objects.select_related("group", "unit").order_by("group", "year", "sequence")
    assert orders.exists()
    by_group_year = defaultdict(list)
    for order in orders:
        by_group_year[order.group_id, order.year].append(order)
        assert order.number == order_number(order.group, order.year, order.sequence)
        assert any(order.unit.path.startswith(scope.path) for scope in order.group.scope_units.all())
        assert timezone.localtime(order.issued_at).year == order.year
        kinds = list(
            OrderEvent.objects.filter(order=order).order_by("at", "pk").values_list("kind", flat=True)
        )
        assert kinds[0] == "issued"
        assert order.status == {
            "issued": "issued",
            "acknowledged": "acknowledged",
            "returned": "acknowledged",
        }.get(kinds[-1], kinds[-1])
        assert order.returned == (kinds[-1] == "returned")
        (task,) = order.tasks.all()
        assert task.lead_unit_id == order.unit_id
        assert TaskEvent.objects.filter(task=task, kind="order_issued", after__order_id=order.pk).count() == 1
    for (group_id, year), rows in by_group_year.items():
        assert [order.sequence for order in rows] == list(range(1, len(rows) + 1))
        assert OrderSequence.objects.get(group_id=group_id, year=year).last == len(rows)
    assert OrderSequence.objects.count() == len(by_group_year)


# ---- The dashboard over the generated province ----------------------------------------------------------------


def test_dashboard_of_a_county_office_equals_plain_counts(province):
    office = Person.objects.get(username="x001_office")
    county = province.owner
    today = timezone.localdate()
    tasks = Task.objects.filter(lead_unit__path__startswith=county.path)
    figures = dashboard.summary(office, campaign=province, today=today)
    assert figures["tasks"] == tasks.count() == TASKS_PER_COUNTY
    assert figures["closed"] == tasks.filter(status=TaskStatus.CLOSED).count()
    assert figures["cancelled"] == tasks.filter(status=TaskStatus.CANCELLED).count()
    assert figures["overdue"] == tasks.filter(overdue_q(today)).count() > 0
    requests = defaultdict(list)
    for task_id, at in TaskEvent.objects.filter(kind="close_requested").values_list("task_id", "at"):
        requests[task_id].append(timezone.localdate(at))
    on_time = [
        t for t in tasks.filter(status=TaskStatus.CLOSED) if all(day <= t.deadline for day in requests[t.pk])
    ]
    assert figures["on_time"] == len(on_time) > 0
    assert figures["closed"] > figures["on_time"]  # some close-outs were requested late

    ranked = dashboard.ranking(office, campaign=province, today=today)
    rows = {row["unit"]: row for group in ranked["groups"] for row in group["rows"]}
    per_unit = dict(tasks.values_list("lead_unit").annotate(n=Count("pk")))
    assert {unit: row["tasks"] for unit, row in rows.items()} == per_unit
    overdue = dict(tasks.filter(overdue_q(today)).values_list("lead_unit").annotate(n=Count("pk")))
    assert {unit: row["overdue"] for unit, row in rows.items() if row["overdue"]} == overdue


# ---- Several connections at once (the command's default, --jobs 2) ------------------------------------


@pytest.fixture
def committing(transactional_db):
    """PostgreSQL without the test's wrapping transaction: the generator commits, and its connections
    see each other's work, as they do when the command runs."""
    need(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    return connection


def test_two_connections_write_the_same_rows_as_one_transaction(committing):
    before = schema_snapshot()
    err = generate("--today", "2025-12-10", "--jobs", "2")
    assert "tasks and timeline 2/2" in err
    two = fingerprint()
    assert schema_snapshot() == before and Unindexed.left_behind() is None
    generate("--today", "2025-12-10", "--jobs", "1", "--reset")
    assert fingerprint() == two
    assert Task.objects.count() == COUNTIES * TASKS_PER_COUNTY


def test_a_run_killed_half_way_is_refused_then_repaired_by_reset(committing, tmp_path):
    """Killed while its connections fill the tables, a run leaves them without their indexes; the next
    run refuses to go on without --reset, and --reset puts every index and constraint back."""
    before = schema_snapshot()
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "DEBUG": "1"}
    command = [
        sys.executable,
        "-m",
        "tests.benchmarks.generate_scale",
        "--counties",
        "24",
        "--tasks-per-county",
        "5000",
    ]
    with (tmp_path / "generate.log").open("w") as log:
        run = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: Unindexed.left_behind() is not None or run.poll() is not None, timeout=60)
        assert run.poll() is None, (tmp_path / "generate.log").read_text()
    finally:
        run.kill()
        run.wait(timeout=10)
    with connection.cursor() as cursor:  # the killed client's backends would run their statements out
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert schema_snapshot()["indexes"] < before["indexes"]

    with pytest.raises(CommandError, match="killed half-way"):
        generate()
    generate("--reset")
    assert schema_snapshot() == before and Unindexed.left_behind() is None
    assert Task.objects.count() == COUNTIES * TASKS_PER_COUNTY
