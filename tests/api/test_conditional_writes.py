"""If-Match on every write on `{id}` of a resource with an ETag (tasks, milestones, supervision orders,
bulletins), over HTTP: a stale ETag answers 412 in the error shape and writes nothing; the current one
lets the write proceed, and so does no If-Match at all. The table below is checked against the URL
routes, so a new write route without a row here fails."""

from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.cache import cache
from django.urls import get_resolver

from supervision import services as supervision
from tasks import services
from tests.factories import days, draft_bulletin
from winteraction.api.etags import WRITES, ETagMixin

API = "/api/v1/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Write:
    """A write the `user` may make on the resource at `detail` (made by `setup(world)`)."""

    route: str  # the route's name, as in the test's id
    method: str
    setup: object  # world → (detail path, write path)
    user: str  # an attribute of the world
    body: dict = field(default_factory=dict)


def _task(world):
    return world.task()


def _running(world):
    task = world.task()
    services.progress_report(task=task, by=world.wanan_official, percent=20, done="已启动排查")
    return task


def _awaiting_close(world):
    task = _running(world)
    services.task_request_close(task=task, by=world.wanan_official, note="已全部整改")
    return task


def on_task(make, action=""):
    def setup(world):
        task = make(world)
        return f"{API}tasks/{task.pk}/", f"{API}tasks/{task.pk}/{action}"

    return setup


def on_milestone(world):
    task = world.task()
    milestone = services.milestone_add(task=task, by=world.office, title="完成摸底", due_date=days(5))
    return f"{API}milestones/{milestone.pk}/", f"{API}milestones/{milestone.pk}/complete/"


def _order(world, step=0):
    order = supervision.order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="万安煤业井下作业规程未落实",
        requirement="立即停产整顿,逐项整改",
        deadline=days(7),
    )
    if step >= 1:
        order = supervision.order_acknowledge(order=order, by=world.wanan_official)
    if step >= 2:
        order = supervision.order_report_rectification(order=order, by=world.wanan_official, text="已整改")
    return order


def on_order(step, action):
    def setup(world):
        order = _order(world, step)
        return f"{API}supervision-orders/{order.pk}/", f"{API}supervision-orders/{order.pk}/{action}"

    return setup


def on_bulletin(action="", signed=False):
    def setup(world):
        bulletin = draft_bulletin(world)
        if signed:
            bulletin = supervision.bulletin_sign(bulletin=bulletin, by=world.leader)
        return f"{API}bulletins/{bulletin.pk}/", f"{API}bulletins/{bulletin.pk}/{action}"

    return setup


REPORT = {"percent": 40, "done": "排查了12处"}

WRITES_ON_ID = [
    Write("task-detail", "patch", on_task(_task), "office", {"title": "新名称"}),
    Write("task-progress-reports", "post", on_task(_task, "progress-reports/"), "wanan_official", REPORT),
    Write("task-request-close", "post", on_task(_running, "request-close/"), "wanan_official"),
    Write("task-close", "post", on_task(_awaiting_close, "close/"), "office"),
    Write("task-return-", "post", on_task(_awaiting_close, "return/"), "office", {"reason": "佐证不足"}),
    Write("task-cancel", "post", on_task(_task, "cancel/"), "office", {"reason": "重复下达"}),
    Write(
        "task-extension-requests",
        "post",
        on_task(_running, "extension-requests/"),
        "wanan_official",
        {"new_deadline": days(30).isoformat(), "reason": "设备未到货"},
    ),
    Write("task-instructions", "post", on_task(_task, "instructions/"), "leader", {"text": "抓紧整改"}),
    Write("milestone-complete", "post", on_milestone, "wanan_official"),
    Write("supervision-order-acknowledge", "post", on_order(0, "acknowledge/"), "wanan_official"),
    Write(
        "supervision-order-report-rectification",
        "post",
        on_order(1, "report-rectification/"),
        "wanan_official",
        {"text": "已整改"},
    ),
    Write("supervision-order-verify", "post", on_order(2, "verify/"), "inspector"),
    Write("supervision-order-return-", "post", on_order(2, "return/"), "inspector", {"reason": "整改不彻底"}),
    Write("bulletin-detail", "patch", on_bulletin(), "office", {"title": "第一周情况通报"}),
    Write("bulletin-refresh", "post", on_bulletin("refresh/"), "office"),
    Write("bulletin-sign", "post", on_bulletin("sign/"), "leader"),
    Write("bulletin-issue", "post", on_bulletin("issue/", signed=True), "office"),
    Write("bulletin-discard", "post", on_bulletin("discard/"), "office", {"reason": "数据有误"}),
]


def rows_everywhere() -> dict[str, int]:
    """How many rows each model of the domain holds: a refused write adds or removes none."""
    return {
        model._meta.label: model.objects.count()
        for app in ("tasks", "supervision")
        for model in apps.get_app_config(app).get_models()
    }


def write(api, world, case: Write, if_match: str | None):
    detail, path = case.setup(world)
    client = api(getattr(world, case.user))
    current = client.get(detail)
    assert current.status_code == 200, current.content
    headers = {} if if_match is None else {"If-Match": current["ETag"] if if_match == "current" else if_match}
    before = rows_everywhere()
    response = getattr(client, case.method)(path, case.body, format="json", headers=headers)
    return client, detail, current, before, response


# ---- The table covers every route ------------------------------------------------------------------


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_every_write_on_a_resource_with_an_etag_is_in_the_table():
    found = set()
    for path, pattern in _routes(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        actions = getattr(pattern.callback, "actions", None) or {}
        if view and issubclass(view, ETagMixin) and "<pk>" in path and "<format>" not in path:
            found |= {(pattern.name, method) for method in actions if method.upper() in WRITES}

    assert found == {(case.route, case.method) for case in WRITES_ON_ID}


# ---- Stale, current, none ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", WRITES_ON_ID, ids=lambda case: case.route)
def test_stale_if_match_answers_412_and_writes_nothing(world, api, case):
    client, detail, current, before, response = write(api, world, case, '"stale"')

    assert response.status_code == 412, response.content
    assert set(response.data) == {"code", "detail", "fields"}
    assert response.data["code"] == "precondition_failed"
    assert rows_everywhere() == before
    assert client.get(detail)["ETag"] == current["ETag"]


@pytest.mark.parametrize("case", WRITES_ON_ID, ids=lambda case: case.route)
def test_current_if_match_lets_the_write_through(world, api, case):
    client, detail, current, _before, response = write(api, world, case, "current")

    assert response.status_code in (200, 201), response.content
    assert client.get(detail)["ETag"] != current["ETag"]


@pytest.mark.parametrize("case", WRITES_ON_ID, ids=lambda case: case.route)
def test_write_without_if_match_goes_through(world, api, case):
    client, detail, current, _before, response = write(api, world, case, None)

    assert response.status_code in (200, 201), response.content
    assert client.get(detail)["ETag"] != current["ETag"]


# ---- Idempotent retries ------------------------------------------------------------------------------


def test_retried_report_with_its_first_if_match_gets_the_first_answer_not_412(world, api):
    task = world.task()
    client = api(world.wanan_official)
    etag = client.get(f"{API}tasks/{task.pk}/")["ETag"]
    headers = {"If-Match": etag, "Idempotency-Key": "report-1"}
    first = client.post(f"{API}tasks/{task.pk}/progress-reports/", REPORT, format="json", headers=headers)

    again = client.post(f"{API}tasks/{task.pk}/progress-reports/", REPORT, format="json", headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    assert task.progress_reports.count() == 1
