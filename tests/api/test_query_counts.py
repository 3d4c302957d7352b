"""Every API list runs a fixed number of queries whatever its size; the task detail a known number.

Each list test makes 5 rows through the services, counts the queries of one request, adds 195
more and counts again (page_size=500, so all rows are on the one page). A count that grows is an
N+1: the failure message lists the statements that repeat.
"""

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from supervision.services import group_create
from tasks import services
from tests.factories import days

API = "/api/v1/"
SMALL, LARGE = 5, 200


def photo(i):
    # A real (tiny) JPEG: evidence is checked from its content, so a bare header is refused.
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile(f"现场照片{i}.jpg", buffer.getvalue(), content_type="image/jpeg")


# ---- Row makers: each `add(n)` makes n more rows of its kind through the services -----------------


class Rows:
    """Makes rows for one list; `path` is the list's URL (it may need a row made in `setup`)."""

    def __init__(self, world):
        self.w = world
        self.made = 0
        self.setup()

    def setup(self):
        pass

    def add(self, n):
        for i in range(self.made, self.made + n):
            self.make(i)
        self.made += n

    def make(self, i):
        raise NotImplementedError

    def path(self):
        raise NotImplementedError


class Campaigns(Rows):
    def make(self, i):
        w = self.w
        services.campaign_create(
            owner=w.county,
            name=f"冬季行动{i}",
            code=f"C{i}",
            start_date=days(-5),
            end_date=days(50),
            by=w.office,
        )

    def path(self):
        return "campaigns/?page_size=500"


class SpecialActions(Rows):
    def make(self, i):
        w = self.w
        services.special_action_create(
            campaign=w.campaign,
            name=f"专项行动{i}",
            code=f"S{i}",
            by=w.office,
            lead_unit=w.yingji,
            lead_leader=w.leader,  # every special action has a leader in charge
        )

    def path(self):
        return "special-actions/?page_size=500"


class Units(Rows):
    def make(self, i):
        services.unit_create(by=self.w.office, name=f"乡镇{i}", kind="township", parent=self.w.county)

    def path(self):
        return "units/?page_size=500"


class People(Rows):
    def make(self, i):
        services.person_create(
            by=None, username=f"liaison{i}", unit=self.w.wanan, role="unit_official", position="联络员"
        )

    def path(self):
        return "people/?page_size=500"


class Tasks(Rows):
    """Overdue tasks with cooperating units and a responsible leader: every column filled in."""

    query = "page_size=500"

    def make(self, i):
        w = self.w
        w.task(
            title=f"隐患排查{i}",
            lead_unit=[w.wanan, w.mine, w.shanmu][i % 3],
            cooperating_units=[w.yingji],
            responsible_leader=w.leader,
            deadline=days(-1 - i % 5),
        )

    def path(self):
        return f"tasks/?{self.query}"


class FilteredTasks(Tasks):
    def path(self):
        return f"tasks/?county={self.w.county.pk}&overdue=true&ordering=deadline&page_size=500"


class SyncTasks(Tasks):
    query = "sync=true&page_size=500"


class CsvTasks(Tasks):
    query = "format=csv"


class SomeTasks(Rows):
    """Rows spread over a few tasks, as on a real list."""

    def setup(self):
        w = self.w
        self.tasks = [w.task(title=f"任务{k}", cooperating_units=[w.yingji]) for k in range(3)]

    def task(self, i):
        return self.tasks[i % len(self.tasks)]


class Milestones(SomeTasks):
    def make(self, i):
        milestone = services.milestone_add(
            task=self.task(i), by=self.w.office, title=f"节点{i}", due_date=days(5)
        )
        if i % 2:
            services.milestone_complete(milestone=milestone, by=self.w.wanan_official)

    def path(self):
        return "milestones/?page_size=500"


class ProgressReports(SomeTasks):
    def make(self, i):
        by = self.w.wanan_official if i % 2 else self.w.yingji_official
        services.progress_report(
            task=self.task(i),
            by=by,
            percent=i % 100,
            done=f"第{i}次填报",
            attachments=[photo(i)],
            lowering_reason="复核",  # past 99 the percent starts again from 0
        )

    def path(self):
        return "progress-reports/?page_size=500"


class Attachments(SomeTasks):
    def make(self, i):
        by = self.w.wanan_official if i % 2 else self.w.yingji_official
        services.attachment_add(task=self.task(i), by=by, file=photo(i))

    def path(self):
        return "attachments/?page_size=500"


class ExtensionRequests(SomeTasks):
    """Decided requests (one may be pending per task), decided by the office."""

    def make(self, i):
        extension = services.extension_request(
            task=self.task(i), by=self.w.wanan_official, new_deadline=days(30), reason=f"理由{i}"
        )
        services.extension_decide(extension=extension, by=self.w.office, approve=False, reason="不同意")

    def path(self):
        return "extension-requests/?page_size=500"


class SupervisionGroups(Rows):
    def make(self, i):
        w = self.w
        group_create(
            name=f"第{i}督导检查组",
            issuing_unit=w.city,
            by=w.city_office,
            leader=w.inspector,
            members=[w.other_office],
            scope_units=[w.county, w.wanan],
            scope_special_actions=[w.safety],
        )

    def path(self):
        return "supervision-groups/?page_size=500"


class Tokens(Rows):
    def make(self, i):
        services.token_create(user=self.w.office, by=self.w.office, name=f"令牌{i}")

    def path(self):
        return "tokens/?page_size=500"


class OneTask(Rows):
    def setup(self):
        self.task = self.w.task(cooperating_units=[self.w.yingji])


class TaskProgressReports(OneTask):
    def make(self, i):
        by = self.w.wanan_official if i % 2 else self.w.yingji_official
        services.progress_report(
            task=self.task,
            by=by,
            percent=i % 100,
            done=f"第{i}次填报",
            attachments=[photo(i)],
            lowering_reason="复核",  # past 99 the percent starts again from 0
        )

    def path(self):
        return f"tasks/{self.task.pk}/progress-reports/"


class TaskExtensionRequests(OneTask):
    def make(self, i):
        extension = services.extension_request(
            task=self.task, by=self.w.wanan_official, new_deadline=days(30), reason=f"理由{i}"
        )
        services.extension_decide(extension=extension, by=self.w.office, approve=False, reason="不同意")

    def path(self):
        return f"tasks/{self.task.pk}/extension-requests/"


class TaskInstructions(OneTask):
    def make(self, i):
        services.instruction_write(task=self.task, by=self.w.leader, text=f"批示{i}")

    def path(self):
        return f"tasks/{self.task.pk}/instructions/"


class TaskTimeline(OneTask):
    """Events by different people: instructions by the leader, milestones by the office."""

    def make(self, i):
        if i % 2:
            services.instruction_write(task=self.task, by=self.w.leader, text=f"批示{i}")
        else:
            services.milestone_add(task=self.task, by=self.w.office, title=f"节点{i}", due_date=days(5))

    def path(self):
        return f"tasks/{self.task.pk}/timeline/"


# ---- Counting -------------------------------------------------------------------------------------


def json_rows(response):
    data = response.json()
    return len(data["results"] if isinstance(data, dict) else data)


def csv_rows(response):
    return len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) - 1


@dataclass
class Run:
    queries: list[str]
    rows: int


def run(client, path, count: Callable) -> Run:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + path)
    assert response.status_code == 200, response.content[:500]
    return Run([q["sql"] for q in captured.captured_queries], count(response))


def shape(sql: str) -> str:
    """A statement with its literals blanked, so one query per row shows up as one shape repeated."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"IN \(\?(, \?)*\)", "IN (…)", sql)


def repeated(small: Run, large: Run) -> str:
    grew = Counter(map(shape, large.queries)) - Counter(map(shape, small.queries))
    return "\n".join(f"+{n}× {sql}" for sql, n in grew.most_common(5))


LISTS = [
    pytest.param(Campaigns, json_rows, id="campaigns"),
    pytest.param(
        SpecialActions,
        json_rows,
        id="special-actions",
    ),
    pytest.param(Units, json_rows, id="units"),
    pytest.param(People, json_rows, id="people"),
    pytest.param(Tasks, json_rows, id="tasks"),
    pytest.param(
        FilteredTasks,
        json_rows,
        id="tasks-filtered",
    ),
    pytest.param(SyncTasks, json_rows, id="tasks-sync"),
    pytest.param(CsvTasks, csv_rows, id="tasks-csv"),
    pytest.param(Milestones, json_rows, id="milestones"),
    pytest.param(ProgressReports, json_rows, id="progress-reports"),
    pytest.param(Attachments, json_rows, id="attachments"),
    pytest.param(ExtensionRequests, json_rows, id="extension-requests"),
    pytest.param(SupervisionGroups, json_rows, id="supervision-groups"),
    pytest.param(Tokens, json_rows, id="tokens"),
    pytest.param(TaskProgressReports, json_rows, id="task-progress-reports"),
    pytest.param(TaskExtensionRequests, json_rows, id="task-extension-requests"),
    pytest.param(TaskInstructions, json_rows, id="task-instructions"),
    pytest.param(TaskTimeline, json_rows, id="task-timeline"),
]


@pytest.mark.parametrize(("rows_class", "count"), LISTS)
def test_list_runs_as_many_queries_for_200_rows_as_for_5(rows_class, count, world, api, media, settings):
    settings.API_SYNC_SETTLE_SECONDS = 0  # the sync cursor would hold back rows changed in the last seconds
    client = api(world.office)
    rows = rows_class(world)

    rows.add(SMALL)
    small = run(client, rows.path(), count)
    rows.add(LARGE - SMALL)
    large = run(client, rows.path(), count)

    assert large.rows >= LARGE > small.rows  # every row was rendered, on the one page
    assert len(large.queries) == len(small.queries), repeated(small, large)


# ---- The task detail ---------------------------------------------------------------------------

# session, user, the office's supervision-group scopes, the task (rollup annotated), its cooperations,
# their units
TASK_DETAIL_QUERIES = 6


def test_task_detail_runs_a_fixed_number_of_queries(world, api, django_assert_num_queries):
    task = world.task(cooperating_units=[world.yingji])
    client = api(world.office)

    with django_assert_num_queries(TASK_DETAIL_QUERIES):
        assert client.get(API + f"tasks/{task.pk}/").status_code == 200


def test_busy_task_detail_runs_as_many_queries_as_a_quiet_one(world, api, media, django_assert_num_queries):
    w = world
    task = w.task(cooperating_units=[w.yingji, w.shanmu, w.mine])
    for i in range(3):
        services.milestone_add(task=task, by=w.office, title=f"节点{i}", due_date=days(5))
        services.progress_report(
            task=task, by=w.wanan_official, percent=10 * i, done="已排查", attachments=[photo(i)]
        )
        services.progress_report(task=task, by=w.yingji_official, percent=5 * i, done="配合排查")
    services.extension_request(task=task, by=w.wanan_official, new_deadline=days(20), reason="设备未到")
    services.instruction_write(task=task, by=w.leader, text="抓紧整改")
    client = api(w.office)

    with django_assert_num_queries(TASK_DETAIL_QUERIES):
        assert client.get(API + f"tasks/{task.pk}/").status_code == 200


def test_task_detail_with_a_responsible_leader_runs_no_extra_query(world, api, django_assert_num_queries):
    task = world.task(cooperating_units=[world.yingji], responsible_leader=world.leader)
    client = api(world.office)

    with django_assert_num_queries(TASK_DETAIL_QUERIES):
        assert client.get(API + f"tasks/{task.pk}/").status_code == 200
