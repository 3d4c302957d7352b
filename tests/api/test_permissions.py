"""Who gets what from the API: a generated matrix of endpoint × caller → status, and the shape
and logging of the denials.

Each case builds its own small state (a fresh task, one awaiting close, a pending extension …)
so that the matrix is about permissions, not transitions: the allowed caller always succeeds.
Out of scope (尧都区's people on 洪洞县's rows) is 404; visible but not theirs to do is 403.
"""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tasks import services
from tests.factories import days

API = "/api/v1/"

# ---- Callers ----------------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
LEAD_OFFICIAL = "wanan_official"  # 万安镇 leads the task
COOPERATING_OFFICIAL = "yingji_official"  # 县应急管理局 cooperates on it
UNRELATED_OFFICIAL = "shanmu_official"  # 山目乡: same county, nothing to do with the task
OFFICE = "office"
LEADER = "leader"
INSPECTOR = "inspector"  # 尧都区, member of the city's group scoped to 洪洞县
OTHER_OFFICIAL = "other_official"  # 尧都区
OTHER_OFFICE = "other_office"  # 尧都区's 督查室
READONLY_USER = "readonly_user"  # role `readonly` in 洪洞县 (a big screen)
READONLY_TOKEN = "readonly_token"  # the 洪洞县 office's read-only token

ROLES = [
    ANONYMOUS,
    LEAD_OFFICIAL,
    COOPERATING_OFFICIAL,
    UNRELATED_OFFICIAL,
    OFFICE,
    LEADER,
    INSPECTOR,
    OTHER_OFFICIAL,
    OTHER_OFFICE,
    READONLY_USER,
    READONLY_TOKEN,
]
OUT_OF_SCOPE = {OTHER_OFFICIAL, OTHER_OFFICE}
READ_ONLY_CALLERS = {READONLY_USER, READONLY_TOKEN}
EVERYONE = set(ROLES) - {ANONYMOUS}


class Callers:
    def __init__(self, world, api, make_token):
        self.world = world
        self.api = api
        self.make_token = make_token
        self._readonly = None

    def user(self, role):
        """The person behind the caller (None for anonymous)."""
        if role == ANONYMOUS:
            return None
        if role == READONLY_TOKEN:
            return self.world.office
        if role == READONLY_USER:
            if self._readonly is None:
                self._readonly = services.person_create(
                    by=None, username="screen", unit=self.world.county, role="readonly", position="大屏"
                )
            return self._readonly
        return getattr(self.world, role)

    def client(self, role):
        if role == ANONYMOUS:
            return self.api()
        if role == READONLY_TOKEN:
            return self.api(token=self.make_token(self.world.office, read_only=True, name="大屏只读"))
        return self.api(self.user(role))


@pytest.fixture
def callers(world, api, make_token):
    return Callers(world, api, make_token)


# ---- State builders: the right state for the allowed caller to succeed -----------------------------


def fresh_task(w):
    return w.task(cooperating_units=[w.yingji])


def task_in_progress(w):
    task = fresh_task(w)
    services.progress_report(task=task, by=w.wanan_official, percent=60, done="已排查煤矿 3 处")
    return task


def task_awaiting_close(w):
    task = task_in_progress(w)
    services.task_request_close(task=task, by=w.wanan_official, note="隐患已全部整改")
    return task


def pending_extension(w):
    return services.extension_request(
        task=fresh_task(w), by=w.wanan_official, new_deadline=days(20), reason="整改设备尚未到货"
    )


def milestone(w):
    return services.milestone_add(task=fresh_task(w), by=w.office, title="完成隐患排查", due_date=days(5))


def report(w):
    return services.progress_report(task=fresh_task(w), by=w.wanan_official, percent=30, done="已排查 1 处")


def photo():
    # A real (tiny) JPEG: evidence is checked from its content, so a bare header is refused.
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile("现场照片.jpg", buffer.getvalue(), content_type="image/jpeg")


def attachment(w):
    return services.attachment_add(task=fresh_task(w), by=w.wanan_official, file=photo())


def own_token(w, user):
    token, _plain = services.token_create(user=user or w.office, by=user or w.office, name="脚本")
    return token


# ---- Expectations --------------------------------------------------------------------------------


def read_open(role):
    """Lists and rows everyone signed in may read (a list is scoped, never refused)."""
    return 200


def read_scoped(role):
    """A 洪洞县 row: readable in 洪洞县 (and by the inspector whose group covers it), 404 elsewhere."""
    return 404 if role in OUT_OF_SCOPE else 200


def write(allowed, success=200, *, scoped=True, out_of_scope=404):
    """Read-only callers are refused first; then out of scope is 404 (400 for a create whose body
    names a hidden row: exactly what naming a missing row gives); then only `allowed` may act."""

    def expect(role):
        if role in READ_ONLY_CALLERS:
            return 403
        if scoped and role in OUT_OF_SCOPE:
            return out_of_scope
        return success if role in allowed else 403

    return expect


@dataclass
class Request:
    method: str
    path: str
    data: dict = field(default_factory=dict)
    format: str = "json"

    def send(self, client):
        call = getattr(client, self.method.lower())
        if self.method == "GET":
            return call(self.path)
        return call(self.path, self.data, format=self.format)


@dataclass
class Endpoint:
    name: str
    build: Callable  # (world, caller's person or None) -> Request
    expect: Callable  # role -> status
    xfail: dict = field(default_factory=dict)  # role -> reason (a bug in the code, not in the table)


def get(path):
    return Request("GET", API + path)


def post(path, data=None, format="json"):
    return Request("POST", API + path, data or {}, format)


ENDPOINTS = [
    # campaigns and special actions
    Endpoint("campaigns list", lambda w, u: get("campaigns/"), read_open),
    Endpoint("campaigns detail", lambda w, u: get(f"campaigns/{w.campaign.pk}/"), read_scoped),
    Endpoint(
        "campaigns create",
        lambda w, u: post(
            "campaigns/",
            {
                "owner_id": w.county.pk,
                "name": "洪洞县2027年冬季行动",
                "code": "HD27",
                "start_date": days(0),
                "end_date": days(90),
            },
        ),
        write({OFFICE}, 201, out_of_scope=400),
    ),
    Endpoint("special-actions list", lambda w, u: get("special-actions/"), read_open),
    Endpoint("special-actions detail", lambda w, u: get(f"special-actions/{w.safety.pk}/"), read_scoped),
    Endpoint(
        "special-actions create",
        lambda w, u: post(
            "special-actions/", {"campaign": w.campaign.pk, "name": "清洁取暖专项行动", "code": "QN"}
        ),
        write({OFFICE}, 201, out_of_scope=400),
    ),
    # units and people
    Endpoint("units list", lambda w, u: get("units/"), read_open),
    Endpoint("units detail", lambda w, u: get(f"units/{w.wanan.pk}/"), read_scoped),
    Endpoint("people list", lambda w, u: get("people/"), read_open),
    Endpoint("people detail", lambda w, u: get(f"people/{w.wanan_official.pk}/"), read_scoped),
    # tasks
    Endpoint("tasks list", lambda w, u: get("tasks/"), read_open),
    Endpoint("tasks detail", lambda w, u: get(f"tasks/{fresh_task(w).pk}/"), read_scoped),
    Endpoint(
        "tasks create",
        lambda w, u: post(
            "tasks/",
            {
                "campaign": w.campaign.pk,
                "special_action": w.safety.pk,
                "title": "燃气管道隐患排查",
                "lead_unit": w.wanan.pk,
                "deadline": days(20),
            },
        ),
        write({OFFICE}, 201, out_of_scope=400),
    ),
    Endpoint(
        "tasks patch",
        lambda w, u: Request("PATCH", API + f"tasks/{fresh_task(w).pk}/", {"title": "煤矿隐患排查整治"}),
        write({OFFICE}),
    ),
    # actions on one task
    Endpoint(
        "task progress-reports post",
        lambda w, u: post(
            f"tasks/{fresh_task(w).pk}/progress-reports/", {"percent": 40, "done": "已排查 2 处"}
        ),
        write({LEAD_OFFICIAL, COOPERATING_OFFICIAL}, 201),
    ),
    Endpoint(
        "task progress-reports get",
        lambda w, u: get(f"tasks/{report(w).task_id}/progress-reports/"),
        read_scoped,
    ),
    Endpoint(
        "task request-close",
        lambda w, u: post(f"tasks/{task_in_progress(w).pk}/request-close/", {"note": "已完成"}),
        write({LEAD_OFFICIAL}),
    ),
    Endpoint(
        "task close",
        lambda w, u: post(f"tasks/{task_awaiting_close(w).pk}/close/", {"note": "同意销号"}),
        write({OFFICE}),
    ),
    Endpoint(
        "task return",
        lambda w, u: post(f"tasks/{task_awaiting_close(w).pk}/return/", {"reason": "佐证材料不足"}),
        write({OFFICE}),
    ),
    Endpoint(
        "task cancel",
        lambda w, u: post(f"tasks/{fresh_task(w).pk}/cancel/", {"reason": "任务合并"}),
        write({OFFICE}),
    ),
    Endpoint(
        "task extension-requests post",
        lambda w, u: post(
            f"tasks/{fresh_task(w).pk}/extension-requests/",
            {"new_deadline": days(20), "reason": "设备未到货"},
        ),
        write({LEAD_OFFICIAL}, 201),
    ),
    Endpoint(
        "task extension-requests get",
        lambda w, u: get(f"tasks/{pending_extension(w).task_id}/extension-requests/"),
        read_scoped,
    ),
    Endpoint(
        "task instructions post",
        lambda w, u: post(f"tasks/{fresh_task(w).pk}/instructions/", {"text": "请抓紧整改,月底前销号。"}),
        write({LEADER}, 201),
    ),
    Endpoint(
        "task instructions get", lambda w, u: get(f"tasks/{fresh_task(w).pk}/instructions/"), read_scoped
    ),
    Endpoint("task timeline", lambda w, u: get(f"tasks/{fresh_task(w).pk}/timeline/"), read_scoped),
    # milestones
    Endpoint("milestones list", lambda w, u: get("milestones/"), read_open),
    Endpoint("milestones detail", lambda w, u: get(f"milestones/{milestone(w).pk}/"), read_scoped),
    Endpoint(
        "milestones create",
        lambda w, u: post(
            "milestones/", {"task": fresh_task(w).pk, "title": "完成整改", "due_date": days(5)}
        ),
        write({OFFICE, LEAD_OFFICIAL}, 201, out_of_scope=400),
    ),
    Endpoint(
        "milestones complete",
        lambda w, u: post(f"milestones/{milestone(w).pk}/complete/"),
        write({OFFICE, LEAD_OFFICIAL}),
    ),
    # progress reports
    Endpoint("progress-reports list", lambda w, u: get("progress-reports/"), read_open),
    Endpoint("progress-reports detail", lambda w, u: get(f"progress-reports/{report(w).pk}/"), read_scoped),
    # attachments
    Endpoint("attachments list", lambda w, u: get("attachments/"), read_open),
    Endpoint("attachments detail", lambda w, u: get(f"attachments/{attachment(w).pk}/"), read_scoped),
    Endpoint(
        "attachments create",
        lambda w, u: post("attachments/", {"task": fresh_task(w).pk, "file": photo()}, format="multipart"),
        write({LEAD_OFFICIAL, COOPERATING_OFFICIAL}, 201, out_of_scope=400),
    ),
    Endpoint(
        "attachments download", lambda w, u: get(f"attachments/{attachment(w).pk}/download/"), read_scoped
    ),
    # extension requests
    Endpoint("extension-requests list", lambda w, u: get("extension-requests/"), read_open),
    Endpoint(
        "extension-requests detail",
        lambda w, u: get(f"extension-requests/{pending_extension(w).pk}/"),
        read_scoped,
    ),
    Endpoint(
        "extension-requests approve",
        lambda w, u: post(f"extension-requests/{pending_extension(w).pk}/approve/", {"reason": "同意"}),
        write({OFFICE}),
    ),
    Endpoint(
        "extension-requests reject",
        lambda w, u: post(f"extension-requests/{pending_extension(w).pk}/reject/", {"reason": "理由不充分"}),
        write({OFFICE}),
    ),
    # supervision groups: the city's group is sent by a region every county reads
    Endpoint("supervision-groups list", lambda w, u: get("supervision-groups/"), read_open),
    Endpoint("supervision-groups detail", lambda w, u: get(f"supervision-groups/{w.group.pk}/"), read_open),
    # me and tokens: one's own, whatever the county
    Endpoint("me", lambda w, u: get("me/"), read_open),
    Endpoint("tokens list", lambda w, u: get("tokens/"), read_open),
    Endpoint(
        "tokens create", lambda w, u: post("tokens/", {"name": "大屏"}), write(EVERYONE, 201, scoped=False)
    ),
    Endpoint(
        "tokens revoke",
        lambda w, u: post(f"tokens/{own_token(w, u).pk}/revoke/"),
        write(EVERYONE, scoped=False),
    ),
]


def expected(endpoint: Endpoint, role: str) -> int:
    return 401 if role == ANONYMOUS else endpoint.expect(role)


def cases():
    for endpoint in ENDPOINTS:
        for role in ROLES:
            marks = ()
            if role in endpoint.xfail:
                marks = pytest.mark.xfail(reason=endpoint.xfail[role], strict=True)
            yield pytest.param(
                endpoint, role, expected(endpoint, role), id=f"{endpoint.name}-{role}", marks=marks
            )


MATRIX = list(cases())


# ---- The matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "role", "status"), MATRIX)
def test_caller_gets_the_answer_their_role_and_region_allow(endpoint, role, status, world, callers, media):
    request = endpoint.build(world, callers.user(role))
    response = request.send(callers.client(role))
    if hasattr(response, "close"):
        response.close()  # a download's open file
    body = getattr(response, "data", None)
    assert response.status_code == status, body


def test_matrix_covers_every_endpoint_for_every_caller():
    assert len(MATRIX) == len(ENDPOINTS) * len(ROLES)
    assert len({endpoint.name for endpoint in ENDPOINTS}) == len(ENDPOINTS)


# ---- Signing in for a token is the one public endpoint --------------------------------------------


def test_anonymous_caller_can_trade_a_password_for_a_token(world, api):
    response = api().post(
        API + "auth/token/", {"username": "wanan", "password": "winteraction", "name": "手机"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["token"].startswith("wa_")


def test_token_from_sign_in_opens_the_api(world, api):
    plain = (
        api()
        .post(API + "auth/token/", {"username": "wanan", "password": "winteraction"}, format="json")
        .json()["token"]
    )

    assert api(token=plain).get(API + "me/").json()["username"] == "wanan"


def test_wrong_password_gets_no_token(world, api):
    response = api().post(API + "auth/token/", {"username": "wanan", "password": "guess"}, format="json")

    assert response.status_code == 400
    assert "token" not in response.json()


def test_full_token_may_write_like_its_owner(world, api, make_token):
    task = fresh_task(world)

    response = api(token=make_token(world.office)).post(
        API + f"tasks/{task.pk}/cancel/", {"reason": "任务合并"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


# ---- Denials: one error shape, logged --------------------------------------------------------------


@pytest.fixture
def denials(caplog):
    caplog.set_level(logging.WARNING, logger="winteraction.api.access")
    return lambda: [r for r in caplog.records if r.name == "winteraction.api.access"]


def test_forbidden_action_answers_in_the_error_shape(world, api):
    task = task_awaiting_close(world)

    response = api(world.shanmu_official).post(API + f"tasks/{task.pk}/close/", {}, format="json")

    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == "permission_denied"
    assert body["detail"]  # the service's message, in the user's language
    assert body["fields"] == {}


def test_forbidden_action_is_logged_with_who_tried_what(world, api, denials):
    task = task_awaiting_close(world)

    api(world.shanmu_official).post(API + f"tasks/{task.pk}/close/", {}, format="json")

    (record,) = denials()
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert "403" in message and "POST" in message and f"/tasks/{task.pk}/close/" in message
    assert "shanmu" in message


def test_read_only_token_write_is_logged_and_refused_in_the_error_shape(world, api, make_token, denials):
    task = fresh_task(world)

    response = api(token=make_token(world.office, read_only=True)).post(
        API + f"tasks/{task.pk}/cancel/", {"reason": "任务合并"}, format="json"
    )

    assert response.status_code == 403
    assert set(response.json()) == {"code", "detail", "fields"}
    assert "403" in denials()[0].getMessage()


def test_out_of_scope_task_answers_404_in_the_error_shape(world, api):
    task = fresh_task(world)

    response = api(world.other_official).get(API + f"tasks/{task.pk}/")

    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == "not_found"
    assert body["fields"] == {}


def test_out_of_scope_request_is_logged(world, api, denials):
    task = fresh_task(world)

    api(world.other_office).post(API + f"tasks/{task.pk}/cancel/", {"reason": "越权"}, format="json")

    (record,) = denials()
    message = record.getMessage()
    assert "404" in message and f"/tasks/{task.pk}/cancel/" in message and "yd_office" in message


def test_allowed_request_is_not_logged_as_a_denial(world, api, denials):
    api(world.office).get(API + "tasks/")

    assert denials() == []


def test_anonymous_caller_is_told_to_authenticate(world, api):
    response = api().get(API + "tasks/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert set(response.json()) == {"code", "detail", "fields"}


# ---- Out of scope looks exactly like missing ------------------------------------------------------

MISSING = 987654


@pytest.mark.parametrize(
    ("method", "route", "data"),
    [
        ("get", "tasks/{}/", None),
        ("patch", "tasks/{}/", {"title": "改"}),
        ("get", "tasks/{}/timeline/", None),
        ("post", "tasks/{}/progress-reports/", {"percent": 10, "done": "已排查"}),
        ("post", "tasks/{}/cancel/", {"reason": "越权"}),
        ("post", "tasks/{}/instructions/", {"text": "批示"}),
    ],
    ids=["detail", "patch", "timeline", "progress-report", "cancel", "instruction"],
)
def test_out_of_scope_task_is_indistinguishable_from_a_missing_one(world, api, method, route, data):
    task = fresh_task(world)
    client = api(world.other_office)

    def call(pk):
        path = API + route.format(pk)
        return (
            getattr(client, method)(path)
            if data is None
            else getattr(client, method)(path, data, format="json")
        )

    hidden, missing = call(task.pk), call(MISSING)

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.parametrize(
    ("route", "body", "format"),
    [
        ("milestones/", lambda pk: {"task": pk, "title": "节点", "due_date": days(5)}, "json"),
        ("attachments/", lambda pk: {"task": pk, "file": photo()}, "multipart"),
    ],
    ids=["milestone", "attachment"],
)
def test_creating_on_a_hidden_task_answers_like_on_a_missing_one(world, api, media, route, body, format):
    task = fresh_task(world)
    client = api(world.other_office)

    hidden = client.post(API + route, body(task.pk), format=format)
    missing = client.post(API + route, body(MISSING), format=format)

    # The same answer, but for the id quoted back in the message.
    assert hidden.status_code == missing.status_code == 400
    assert hidden.content.decode().replace(str(task.pk), "ID") == missing.content.decode().replace(
        str(MISSING), "ID"
    )
