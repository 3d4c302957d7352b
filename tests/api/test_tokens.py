"""API tokens over HTTP: password sign-in, the two header keywords, what is stored, revocation,
expiry, read-only tokens, managing one's own tokens, and the per-token rate limit."""

import datetime
import hashlib

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tasks import services
from tasks.models import ApiToken, ProgressReport, Task

LOGIN = "/api/v1/auth/token/"
TOKENS = "/api/v1/tokens/"
ME = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture
def client_for(api):
    """`client_for(user)` signs in by session; `client_for(token=plain, keyword=…)` sends the token."""
    return api


@pytest.fixture
def token_for(db):
    """A real token made by the service, in plain, as its holder copied it once."""

    def make(user, *, name="测试令牌", read_only=False, expires_at=None) -> str:
        _row, plain = services.token_create(
            user=user, by=user, name=name, read_only=read_only, expires_at=expires_at
        )
        return plain

    return make


# ---- Password sign-in ----------------------------------------------------------------------------


def test_password_sign_in_returns_a_new_token(world):
    response = APIClient().post(LOGIN, {"username": "wanan", "password": "winteraction"}, format="json")

    assert response.status_code == 201
    assert response.data["token"].startswith("wa_")
    assert ApiToken.objects.filter(user=world.wanan_official).count() == 1


def test_token_from_password_sign_in_authenticates(world, client_for):
    plain = (
        APIClient()
        .post(LOGIN, {"username": "wanan", "password": "winteraction"}, format="json")
        .data["token"]
    )

    response = client_for(token=plain).get(ME)

    assert response.status_code == 200
    assert response.data["username"] == "wanan"


def test_wrong_password_is_refused_and_makes_no_token(world):
    response = APIClient().post(LOGIN, {"username": "wanan", "password": "guess"}, format="json")

    assert response.status_code == 400
    assert "token" not in response.data
    assert ApiToken.objects.count() == 0


def test_fourth_sign_in_attempt_within_a_minute_is_throttled(world, settings):
    settings.API_RATES = {**settings.API_RATES, "login": "3/minute"}
    client = APIClient()
    for _ in range(3):
        assert (
            client.post(LOGIN, {"username": "wanan", "password": "guess"}, format="json").status_code == 400
        )

    response = client.post(LOGIN, {"username": "wanan", "password": "winteraction"}, format="json")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert ApiToken.objects.count() == 0


def test_sign_in_throttle_cannot_be_dodged_with_a_forged_forwarded_for_header(world, settings):
    settings.API_RATES = {**settings.API_RATES, "login": "3/minute"}
    client = APIClient()
    for n in range(3):
        client.post(
            LOGIN,
            {"username": "wanan", "password": "guess"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )

    response = client.post(
        LOGIN, {"username": "wanan", "password": "guess"}, format="json", HTTP_X_FORWARDED_FOR="10.0.0.99"
    )

    assert response.status_code == 429


def test_sign_in_is_allowed_again_after_the_throttle_window(world, settings, time_machine):
    settings.API_RATES = {**settings.API_RATES, "login": "3/minute"}
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    client = APIClient()
    for _ in range(4):
        client.post(LOGIN, {"username": "wanan", "password": "guess"}, format="json")

    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 1, 5, tzinfo=datetime.UTC), tick=False)
    response = client.post(LOGIN, {"username": "wanan", "password": "winteraction"}, format="json")

    assert response.status_code == 201


# ---- Using a token -------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_token_works_with_token_and_bearer_keywords(world, client_for, token_for, keyword):
    plain = token_for(world.wanan_official)

    response = client_for(token=plain, keyword=keyword).get(ME)

    assert response.status_code == 200
    assert response.data["username"] == "wanan"


def test_stored_row_holds_only_the_sha256_digest_of_the_token(world, token_for):
    plain = token_for(world.wanan_official)

    row = ApiToken.objects.get()

    assert row.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in {row.digest, row.prefix, row.name}
    assert plain.startswith(row.prefix)


def test_the_stored_digest_does_not_work_as_a_token(world, client_for, token_for):
    token_for(world.wanan_official)
    digest = ApiToken.objects.get().digest

    response = client_for(token=digest).get(ME)

    assert response.status_code == 401


def test_unknown_token_is_refused(world, client_for):
    response = client_for(token="wa_not-a-real-token").get(ME)

    assert response.status_code == 401


def test_revoked_token_is_refused(world, client_for, token_for):
    plain = token_for(world.wanan_official)
    services.token_revoke(token=ApiToken.objects.get(), by=world.wanan_official)

    response = client_for(token=plain).get(ME)

    assert response.status_code == 401


def test_token_stops_working_after_it_expires(world, client_for, token_for, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    plain = token_for(world.wanan_official, expires_at=timezone.now() + datetime.timedelta(days=7))
    assert client_for(token=plain).get(ME).status_code == 200

    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, 1, tzinfo=datetime.UTC), tick=False)
    response = client_for(token=plain).get(ME)

    assert response.status_code == 401


def test_token_of_a_deactivated_user_is_refused(world, client_for, token_for):
    plain = token_for(world.wanan_official)
    world.wanan_official.is_active = False
    world.wanan_official.save()

    response = client_for(token=plain).get(ME)

    assert response.status_code == 401


# ---- Read-only tokens ----------------------------------------------------------------------------


def test_read_only_token_can_read_tasks(world, client_for, token_for):
    task = world.task()
    plain = token_for(world.wanan_official, read_only=True)

    response = client_for(token=plain).get(f"/api/v1/tasks/{task.pk}/")

    assert response.status_code == 200
    assert response.data["id"] == task.pk


def test_read_only_token_cannot_report_progress(world, client_for, token_for):
    task = world.task()
    plain = token_for(world.wanan_official, read_only=True)

    response = client_for(token=plain).post(
        f"/api/v1/tasks/{task.pk}/progress-reports/", {"percent": 50, "done": "已排查 3 处"}, format="json"
    )

    assert response.status_code == 403
    assert ProgressReport.objects.count() == 0
    assert Task.objects.get(pk=task.pk).progress == 0


def test_read_only_token_cannot_edit_a_task(world, client_for, token_for):
    task = world.task()
    plain = token_for(world.office, read_only=True)

    response = client_for(token=plain).patch(
        f"/api/v1/tasks/{task.pk}/", {"title": "改过的名称"}, format="json"
    )

    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).title == task.title


def test_read_only_token_cannot_make_another_token(world, client_for, token_for):
    plain = token_for(world.wanan_official, read_only=True)

    response = client_for(token=plain).post(TOKENS, {"name": "再来一个"}, format="json")

    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


# ---- Managing one's tokens -----------------------------------------------------------------------


def test_created_token_is_shown_once_in_the_create_response(world, client_for):
    client = client_for(world.wanan_official)

    created = client.post(TOKENS, {"name": "大屏"}, format="json")

    assert created.status_code == 201
    assert created.data["token"].startswith(created.data["prefix"])
    assert "token" not in client.get(f"{TOKENS}{created.data['id']}/").data


def test_token_list_shows_my_tokens_without_the_token_or_its_digest(world, client_for, token_for):
    plain = token_for(world.wanan_official, name="大屏")

    response = client_for(world.wanan_official).get(TOKENS)

    assert response.status_code == 200
    assert [row["name"] for row in response.data] == ["大屏"]
    assert "token" not in response.data[0]
    assert "digest" not in response.data[0]
    assert plain not in response.content.decode()


def test_revoking_a_token_through_the_api_stops_it_working(world, client_for, token_for):
    plain = token_for(world.wanan_official)
    row = ApiToken.objects.get()

    response = client_for(world.wanan_official).post(f"{TOKENS}{row.pk}/revoke/")

    assert response.status_code == 200
    assert response.data["revoked_at"] is not None
    assert client_for(token=plain).get(ME).status_code == 401


def test_user_does_not_see_another_users_tokens(world, client_for, token_for):
    token_for(world.shanmu_official)
    row = ApiToken.objects.get()
    client = client_for(world.wanan_official)

    assert client.get(TOKENS).data == []
    assert client.get(f"{TOKENS}{row.pk}/").status_code == 404


def test_user_cannot_revoke_another_users_token(world, client_for, token_for):
    plain = token_for(world.shanmu_official)
    row = ApiToken.objects.get()

    response = client_for(world.wanan_official).post(f"{TOKENS}{row.pk}/revoke/")

    assert response.status_code == 404
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None
    assert client_for(token=plain).get(ME).status_code == 200


# ---- Per-token rate limit --------------------------------------------------------------------------


def test_token_over_its_rate_gets_429_with_retry_after(world, settings, client_for, token_for):
    settings.API_RATES = {**settings.API_RATES, "token": "2/minute"}
    client = client_for(token=token_for(world.wanan_official))
    assert [client.get(ME).status_code for _ in range(2)] == [200, 200]

    response = client.get(ME)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_throttled_token_leaves_its_owners_browser_session_alone(world, settings, client_for, token_for):
    settings.API_RATES = {**settings.API_RATES, "token": "2/minute"}
    script = client_for(token=token_for(world.wanan_official))
    for _ in range(3):
        script.get(ME)

    response = client_for(world.wanan_official).get(ME)

    assert response.status_code == 200


def test_each_token_has_its_own_budget(world, settings, client_for, token_for):
    settings.API_RATES = {**settings.API_RATES, "token": "2/minute"}
    script = client_for(token=token_for(world.wanan_official, name="脚本"))
    for _ in range(3):
        script.get(ME)

    response = client_for(token=token_for(world.wanan_official, name="大屏")).get(ME)

    assert response.status_code == 200


# ---- A password change revokes the tokens; the default expiry ------------------------------------


def change_own_password(client, *, old="winteraction", new="Winter-Action-2026!"):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
        follow=True,
    )


def test_changing_my_password_stops_my_tokens_working(world, client, client_for, token_for):
    plain = token_for(world.wanan_official, name="市大屏")
    client.force_login(world.wanan_official)

    change_own_password(client)

    assert client_for(token=plain).get(ME).status_code == 401


def test_the_password_page_names_the_tokens_it_revoked(world, client, token_for):
    token_for(world.wanan_official, name="市大屏")
    client.force_login(world.wanan_official)

    page = change_own_password(client)

    assert any("市大屏" in str(message) for message in page.context["messages"])


def test_a_password_set_through_the_model_revokes_the_tokens_in_the_audit_log(world, token_for):
    from tasks.models import AuditEntry, AuditKind

    token_for(world.wanan_official, name="统计局对接")
    person = world.wanan_official
    person.set_password("Winter-Action-2026!")
    person.save()

    assert ApiToken.objects.get().revoked_at is not None
    entry = AuditEntry.objects.get(kind=AuditKind.TOKEN_REVOKED)
    assert (entry.user, entry.detail["token"], entry.detail["reason"]) == (
        person,
        "统计局对接",
        "password_changed",
    )


def test_another_persons_password_change_leaves_my_tokens_alone(world, client_for, token_for):
    plain = token_for(world.wanan_official)
    world.shanmu_official.set_password("Winter-Action-2026!")
    world.shanmu_official.save()

    assert client_for(token=plain).get(ME).status_code == 200


def test_a_token_created_without_expiry_gets_the_default_one(world, client_for, settings, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    settings.API_TOKEN_DEFAULT_DAYS = 90

    response = client_for(world.wanan_official).post(TOKENS, {"name": "市大屏"}, format="json")

    assert response.status_code == 201
    expected = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC) + datetime.timedelta(days=90)
    assert ApiToken.objects.get().expires_at == expected


def test_a_token_created_without_expiry_never_expires_when_the_default_is_zero(world, client_for, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 0

    client_for(world.wanan_official).post(TOKENS, {"name": "市大屏"}, format="json")

    assert ApiToken.objects.get().expires_at is None
