"""API errors over HTTP: one shape for all, messages in the caller's language, and malformed input
(bad JSON, wrong types, unknown filter values, unicode garbage) answered as a 4xx, never a 500."""

import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tasks import services
from tasks.models import ProgressReport, Task
from tests.factories import days

TASKS = "/api/v1/tasks/"
HUGE = 10**30


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture
def client_for():
    def make(user=None, *, language=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        if language is not None:
            client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        return client

    return make


def in_progress(world) -> Task:
    task = world.task()
    services.progress_report(task=task, by=world.wanan_official, percent=20, done="已启动排查")
    return task


def awaiting_close(world) -> Task:
    task = in_progress(world)
    services.task_request_close(task=task, by=world.wanan_official)
    return task


def assert_error_shape(response) -> None:
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    assert all(isinstance(messages, list) for messages in body["fields"].values())


# ---- One shape ---------------------------------------------------------------------------------------


def _validation(world, client_for):
    task = world.task()
    return client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", {"percent": 140, "done": "已排查"}, format="json"
    )


def _parse_error(world, client_for):
    task = world.task()
    return client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", '{"percent": 50,', content_type="application/json"
    )


def _unsupported_media_type(world, client_for):
    task = world.task()
    return client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", "percent=50", content_type="text/plain"
    )


def _anonymous(world, client_for):
    return client_for().get(TASKS)


def _bad_token(world, client_for):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Token wa_nope")
    return client.get(TASKS)


def _forbidden(world, client_for):
    task = awaiting_close(world)
    return client_for(world.wanan_official).post(f"{TASKS}{task.pk}/close/", {}, format="json")


def _read_only_token(world, client_for):
    _row, plain = services.token_create(user=world.office, by=world.office, name="大屏", read_only=True)
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    return client.post(TASKS, {}, format="json")


def _not_found(world, client_for):
    return client_for(world.office).get(f"{TASKS}999999/")


def _out_of_scope(world, client_for):
    task = world.task()
    return client_for(world.other_official).get(f"{TASKS}{task.pk}/")


def _method_not_allowed(world, client_for):
    task = world.task()
    return client_for(world.office).delete(f"{TASKS}{task.pk}/")


def _conflict(world, client_for):
    task = world.task()
    return client_for(world.office).post(f"{TASKS}{task.pk}/close/", {}, format="json")


def _precondition_failed(world, client_for):
    task = world.task()
    return client_for(world.office).patch(
        f"{TASKS}{task.pk}/", {"title": "新名称"}, format="json", headers={"If-Match": '"stale"'}
    )


def _key_reused(world, client_for):
    task = world.task()
    client = client_for(world.wanan_official)
    url = f"{TASKS}{task.pk}/progress-reports/"
    client.post(url, {"percent": 10, "done": "一"}, format="json", headers={"Idempotency-Key": "k"})
    return client.post(url, {"percent": 20, "done": "二"}, format="json", headers={"Idempotency-Key": "k"})


def _throttled(world, client_for, settings):
    settings.API_RATES = {**settings.API_RATES, "login": "1/minute"}
    client = client_for()
    client.post("/api/v1/auth/token/", {"username": "office", "password": "guess"}, format="json")
    return client.post("/api/v1/auth/token/", {"username": "office", "password": "guess"}, format="json")


ERRORS = {
    "400 validation": (_validation, 400),
    "400 parse error": (_parse_error, 400),
    "415 unsupported media type": (_unsupported_media_type, 415),
    "401 anonymous": (_anonymous, 401),
    "401 bad token": (_bad_token, 401),
    "403 forbidden": (_forbidden, 403),
    "403 read-only token": (_read_only_token, 403),
    "404 not found": (_not_found, 404),
    "404 out of scope": (_out_of_scope, 404),
    "405 method not allowed": (_method_not_allowed, 405),
    "409 conflict": (_conflict, 409),
    "412 precondition failed": (_precondition_failed, 412),
    "422 idempotency key reused": (_key_reused, 422),
    "429 throttled": (_throttled, 429),
}


@pytest.mark.parametrize("name", ERRORS)
def test_every_error_has_code_detail_and_fields(world, client_for, settings, name):
    make, status = ERRORS[name]
    response = make(world, client_for, settings) if name.startswith("429") else make(world, client_for)

    assert response.status_code == status
    assert_error_shape(response)


def test_validation_error_lists_every_bad_field(world, client_for):
    task = world.task()

    response = client_for(world.wanan_official).post(f"{TASKS}{task.pk}/progress-reports/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"percent", "done"}


def test_task_create_error_lists_the_missing_fields(world, client_for):
    response = client_for(world.office).post(TASKS, {"title": "燃气管道巡检"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"campaign", "special_action", "lead_unit", "deadline"}


def test_service_validation_error_names_its_field(world, client_for):
    task = in_progress(world)

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/extension-requests/",
        {"new_deadline": days(5).isoformat(), "reason": "设备未到货"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["new_deadline"]


def test_anonymous_caller_gets_401_with_a_www_authenticate_header(world, client_for):
    response = client_for().get(TASKS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_method_not_allowed_names_the_allowed_methods(world, client_for):
    task = world.task()

    response = client_for(world.office).delete(f"{TASKS}{task.pk}/")

    assert "PATCH" in response["Allow"]


# ---- In the caller's language ----------------------------------------------------------------------


def _percent_too_high(world, client_for, language):
    task = world.task()
    response = client_for(world.wanan_official, language=language).post(
        f"{TASKS}{task.pk}/progress-reports/", {"percent": 140, "done": "已排查"}, format="json"
    )
    assert response.status_code == 400
    return response.json()["fields"]["percent"][0]


def _deadline_not_later(world, client_for, language):
    task = in_progress(world)
    response = client_for(world.wanan_official, language=language).post(
        f"{TASKS}{task.pk}/extension-requests/",
        {"new_deadline": days(5).isoformat(), "reason": "设备未到货"},
        format="json",
    )
    assert response.status_code == 400
    return response.json()["fields"]["new_deadline"][0]


def _official_closes(world, client_for, language):
    task = awaiting_close(world)
    response = client_for(world.wanan_official, language=language).post(
        f"{TASKS}{task.pk}/close/", {}, format="json"
    )
    assert response.status_code == 403
    return response.json()["detail"]


def _close_not_started(world, client_for, language):
    task = world.task()
    response = client_for(world.office, language=language).post(f"{TASKS}{task.pk}/close/", {}, format="json")
    assert response.status_code == 409
    return response.json()["detail"]


def _anonymous_in(world, client_for, language):
    response = client_for(language=language).get(TASKS)
    assert response.status_code == 401
    return response.json()["detail"]


@pytest.mark.parametrize(
    ("case", "language", "expected"),
    [
        pytest.param(_percent_too_high, "zh-hans", "请确保该值小于或者等于 100。", id="serializer-zh"),
        pytest.param(
            _percent_too_high, "en", "Ensure this value is less than or equal to 100.", id="serializer-en"
        ),
        pytest.param(_deadline_not_later, "zh-hans", "申请的新时限必须晚于当前时限", id="service-zh"),
        pytest.param(_deadline_not_later, "en", "must be later than the current deadline", id="service-en"),
        pytest.param(_official_closes, "zh-hans", "只有本地区的督查室可以销号。", id="permission-zh"),
        pytest.param(
            _official_closes,
            "en",
            "Only the supervision office of this area can perform “Close out”.",
            id="permission-en",
        ),
        pytest.param(_close_not_started, "zh-hans", "任务当前状态为“未开始”,不能销号。", id="conflict-zh"),
        pytest.param(
            _close_not_started,
            "en",
            "The task's status is “Not started”, so “Close out” is not allowed.",
            id="conflict-en",
        ),
        pytest.param(_anonymous_in, "zh-hans", "身份认证信息未提供。", id="anonymous-zh"),
        pytest.param(_anonymous_in, "en", "Authentication credentials were not provided.", id="anonymous-en"),
    ],
)
def test_error_message_is_in_the_callers_language(world, client_for, case, language, expected):
    assert expected in case(world, client_for, language)


def test_error_message_defaults_to_chinese_without_accept_language(world, client_for):
    assert _close_not_started(world, client_for, None) == "任务当前状态为“未开始”,不能销号。"


def test_validation_summary_is_in_english_for_an_english_caller(world, client_for):
    task = world.task()

    response = client_for(world.wanan_official, language="en").post(
        f"{TASKS}{task.pk}/progress-reports/", {"percent": 140, "done": "已排查"}, format="json"
    )

    detail = response.json()["detail"]
    assert detail.isascii(), detail


def test_bad_token_is_refused_in_english_for_an_english_caller(world, client_for):
    client = client_for(language="en")
    client.credentials(HTTP_AUTHORIZATION="Token wa_nope")

    detail = client.get(TASKS).json()["detail"]

    assert detail.isascii(), detail


# ---- Malformed input is a 4xx, never a 500 ------------------------------------------------------------

REPORT_BODIES = {
    "non-JSON with a JSON content type": '{"percent": 50,',
    "a JSON list": "[1, 2, 3]",
    "a JSON string": '"已排查"',
    "JSON null": "null",
    "an empty body": "",
    "percent as letters": '{"percent": "abc", "done": "已排查"}',
    "percent as a boolean": '{"percent": true, "done": "已排查"}',
    "percent as a fraction": '{"percent": 1.5, "done": "已排查"}',
    "negative percent": '{"percent": -1, "done": "已排查"}',
    "huge percent": f'{{"percent": {HUGE}, "done": "已排查"}}',
    "percent as an object": '{"percent": {"value": 50}, "done": "已排查"}',
    "done as a list": '{"percent": 50, "done": ["已排查"]}',
    "done with a NUL character": '{"percent": 50, "done": "已排查\\u0000"}',
    "done as a lone surrogate": '{"percent": 50, "done": "\\ud800"}',
    "NaN": '{"percent": NaN, "done": "已排查"}',
    "attachments as text": '{"percent": 50, "done": "已排查", "attachments": "photo.png"}',
}


@pytest.mark.parametrize("body", REPORT_BODIES.values(), ids=REPORT_BODIES.keys())
def test_malformed_progress_report_is_a_400_and_saves_nothing(world, client_for, body):
    task = world.task()

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert_error_shape(response)
    assert ProgressReport.objects.count() == 0


def test_body_that_is_not_utf8_is_a_400(world, client_for):
    task = world.task()

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/",
        b'{"percent": 50, "done": "\xff\xfe"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert_error_shape(response)


def test_deeply_nested_json_is_a_400(world, client_for):
    task = world.task()

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/", "[" * 100_000, content_type="application/json"
    )

    assert response.status_code == 400
    assert_error_shape(response)


def task_body(world, **changes) -> dict:
    return {
        "campaign": world.campaign.pk,
        "special_action": world.safety.pk,
        "title": "燃气管道巡检",
        "lead_unit": world.shanmu.pk,
        "deadline": days(20).isoformat(),
        **changes,
    }


TASK_CHANGES = {
    "impossible deadline": {"deadline": "2026-13-45"},
    "deadline as a number": {"deadline": 20261231},
    "deadline before the start": {"deadline": days(1).isoformat(), "start_date": days(5).isoformat()},
    "lead unit as letters": {"lead_unit": "abc"},
    "huge lead unit": {"lead_unit": HUGE},
    "lead unit that does not exist": {"lead_unit": 999_999},
    "cooperating units not a list": {"cooperating_units": "山目乡"},
    "lead unit also cooperating": {"cooperating_units": ["LEAD"]},
    "title too long": {"title": "排" * 201},
    "blank title": {"title": "   "},
    "campaign null": {"campaign": None},
    "unknown priority": {"priority": 99},
    "responsible leader who is no leader": {"responsible_leader": "OFFICIAL"},
    "lead unit in another county": {"lead_unit": "OTHER_TOWN"},
}


@pytest.mark.parametrize("changes", TASK_CHANGES.values(), ids=TASK_CHANGES.keys())
def test_malformed_task_is_a_400_and_creates_nothing(world, client_for, changes):
    stand_ins = {
        "LEAD": world.shanmu.pk,
        "OFFICIAL": world.wanan_official.pk,
        "OTHER_TOWN": world.other_town.pk,
    }

    def resolve(value):
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return stand_ins.get(value, value) if isinstance(value, str) else value

    body = task_body(world, **{name: resolve(value) for name, value in changes.items()})

    response = client_for(world.office).post(TASKS, body, format="json")

    assert response.status_code == 400
    assert_error_shape(response)
    assert Task.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [[{"title": "新名称"}], {"priority": "urgent"}, {"lead_unit": HUGE}, {"title": None}, {"note": {"a": 1}}],
    ids=["a list", "priority as text", "huge lead unit", "null title", "note as an object"],
)
def test_malformed_task_edit_is_a_400_and_changes_nothing(world, client_for, body):
    task = world.task()

    response = client_for(world.office).patch(f"{TASKS}{task.pk}/", body, format="json")

    assert response.status_code == 400
    assert_error_shape(response)
    assert Task.objects.get(pk=task.pk).title == task.title


LIST_PARAMS = {
    "unknown status": ({"status": "nope"}, 400),
    "unknown county": ({"county": "abc"}, 400),
    "huge county": ({"county": HUGE}, 400),
    "county that does not exist": ({"county": 999_999}, 200),  # empty, as another county's (docs/api.md)
    "lead unit as letters": ({"lead_unit": "abc"}, 400),
    "leader who is no leader": ({"leader": "OFFICIAL"}, 200),  # empty: no leader has that id
    "deadline_before not a date": ({"deadline_before": "notadate"}, 400),
    "deadline_after impossible": ({"deadline_after": "2026-13-45"}, 400),
    "updated_since not a time": ({"updated_since": "yesterday"}, 400),
    "unknown ordering": ({"ordering": "password"}, 400),
    "search with a NUL character": ({"search": "排查\x00"}, 400),
    "overdue=maybe": ({"overdue": "maybe"}, 400),
    "sync=maybe": ({"sync": "maybe"}, 400),
    "page_size as letters": ({"page_size": "abc"}, 400),
    "negative page_size": ({"page_size": -5}, 400),
    "empty updated_since": ({"updated_since": ""}, 400),
    "search with emoji and rare characters": ({"search": "😀𠀀🀄\u200b\ufeff"}, 200),
    "search with right-to-left text": ({"search": "\u202eمرحبا"}, 200),
    "negative page": ({"page": -1}, 404),
    "page as letters": ({"page": "abc"}, 404),
    "huge page": ({"page": HUGE}, 404),
    "unknown format": ({"format": "pdf"}, 404),
    "unknown format and a bad filter": ({"format": "docx", "status": "nope"}, 404),
    "format that is no word": ({"format": "json;q=1", "overdue": "maybe"}, 404),
    "empty format": ({"format": "", "status": "nope"}, 400),
    "format in capitals": ({"format": "CSV", "county": "abc"}, 404),
    "spreadsheet with a bad filter": ({"format": "xlsx", "status": "nope"}, 400),
    "csv with a bad page size": ({"format": "csv", "page_size": "abc", "overdue": "maybe"}, 400),
}


@pytest.mark.parametrize(("params", "status"), LIST_PARAMS.values(), ids=LIST_PARAMS.keys())
def test_odd_list_parameters_are_never_a_server_error(world, client_for, params, status):
    world.task()
    params = {
        name: world.wanan_official.pk if value == "OFFICIAL" else value for name, value in params.items()
    }

    response = client_for(world.office).get(TASKS, params)

    assert response.status_code == status
    if status >= 400:
        assert_error_shape(response)


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_a_bad_filter_on_an_export_is_answered_in_json(world, client_for, export):
    world.task()

    response = client_for(world.office).get(TASKS, {"format": export, "status": "nope"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["fields"]) == ["status"]


@pytest.mark.parametrize("document", ["pdf", "docx"])
def test_a_document_download_refused_is_answered_in_json(world, client_for, document):
    from tests.factories import draft_bulletin

    bulletin = draft_bulletin(world)

    response = client_for().get(f"/api/v1/bulletins/{bulletin.pk}/{document}/", {"format": document})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert_error_shape(response)


def test_query_string_that_is_not_utf8_is_not_a_server_error(world, client_for):
    world.task()

    response = client_for(world.office).get(TASKS, QUERY_STRING="search=%FF%FE&status=%C0")

    assert response.status_code == 400
    assert_error_shape(response)


ODD_IDS = ["0.83", "abc", "-1", "1e3", "1.", "%E5%86%AC", "\u0661\u0662", str(10**18), str(HUGE)]


def detail_routes() -> list[str]:
    """Every resource of the API's router: a new one is covered without editing this test."""
    from winteraction.urls import api_router

    return [prefix for prefix, _viewset, _basename in api_router.registry]


@pytest.mark.parametrize("route", detail_routes())
def test_odd_ids_on_every_detail_route_are_404_in_the_error_shape(world, client_for, route):
    client = client_for(world.office)

    for odd in ODD_IDS:
        response = client.get(f"/api/v1/{route}/{odd}/")

        assert response.status_code == 404, (route, odd)
        assert response["Content-Type"] == "application/json", (route, odd)
        assert_error_shape(response)


@pytest.mark.parametrize(
    "path", ["campaigns/0.83/", "cards/abc/", "no-such-thing/", "tasks/1/no-such-action/"]
)
def test_odd_paths_are_404_in_the_error_shape_with_debug_on_too(world, client_for, settings, path):
    settings.DEBUG = True  # `make run`: Django's HTML debug page instead of handler404 for an unknown URL

    response = client_for(world.office).get(f"/api/v1/{path}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert_error_shape(response)


def test_a_write_to_an_unknown_path_is_a_404_not_a_csrf_failure(world):
    # A browser session posting without a CSRF token: the path does not exist, so that is the answer.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.office)

    response = client.post("/api/v1/cards/abc/lift/", {}, format="json")

    assert response.status_code == 404
    assert_error_shape(response)


@pytest.mark.parametrize(
    "path",
    ["tasks/{}/close/", "tasks/{}/progress-reports/", "notifications/{}/read/", "cards/{}/lift/"],
)
def test_odd_ids_on_actions_are_404_in_the_error_shape(world, client_for, path):
    client = client_for(world.office)

    for odd in ODD_IDS:
        response = client.post(f"/api/v1/{path.format(odd)}", {}, format="json")

        assert response.status_code == 404, (path, odd)
        assert_error_shape(response)


@pytest.mark.parametrize("path", ["abc", str(HUGE), "-1", "1.5", "%E5%86%AC"])
def test_odd_task_ids_in_the_path_are_404(world, client_for, path):
    response = client_for(world.office).get(f"{TASKS}{path}/")

    assert response.status_code == 404
    assert_error_shape(response)


@pytest.mark.parametrize(
    "header",
    ["Token é", "Token a b", "Token", "Bearer ", "Token wa_\u0000"],
    ids=["latin-1 token", "two words", "keyword only", "bearer with nothing", "NUL in token"],
)
def test_odd_authorization_headers_are_401(world, client_for, header):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(TASKS)

    assert response.status_code == 401
    assert_error_shape(response)


def test_overlong_idempotency_key_is_a_400_and_saves_nothing(world, client_for):
    task = world.task()

    response = client_for(world.wanan_official).post(
        f"{TASKS}{task.pk}/progress-reports/",
        {"percent": 10, "done": "已排查"},
        format="json",
        headers={"Idempotency-Key": "k" * 200},
    )

    assert response.status_code == 400
    assert_error_shape(response)
    assert ProgressReport.objects.count() == 0


def test_garbage_if_match_is_a_412(world, client_for):
    task = world.task()

    response = client_for(world.office).patch(
        f"{TASKS}{task.pk}/", {"title": "新名称"}, format="json", headers={"If-Match": '冬季, W/, ,""'}
    )

    assert response.status_code == 412
    assert_error_shape(response)


def test_milestone_due_after_the_task_deadline_is_a_400(world, client_for):
    task = world.task()

    response = client_for(world.office).post(
        "/api/v1/milestones/",
        {
            "task": task.pk,
            "title": "完成摸底",
            "due_date": (task.deadline + datetime.timedelta(days=1)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["due_date"]


def test_milestone_for_a_task_out_of_scope_is_not_created(world, client_for):
    task = world.task()

    response = client_for(world.other_office).post(
        "/api/v1/milestones/",
        {"task": task.pk, "title": "完成摸底", "due_date": days(5).isoformat()},
        format="json",
    )

    # A task out of sight answers exactly like one that does not exist.
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["task"]
    assert not task.milestones.exists()


def test_an_unknown_api_path_answers_in_the_error_shape(world, client_for):
    response = client_for(world.office).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert_error_shape(response)
