"""Signing in and out, lockout, password change, API tokens, idle sign-out and the audit log."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tasks.audit import record
from tasks.models import ApiToken, AuditEntry, AuditKind

PASSWORD = "winteraction"


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


# ---- Sign-in, lockout, sign-out ----------------------------------------------------------------


def test_login_page_is_a_bootstrap_card(client, db):
    page = client.get(reverse("login")).content.decode()
    assert 'class="card' in page
    assert 'name="viewport"' in page


def test_official_signs_in_with_the_right_password(client, world):
    response = sign_in(client, "wanan")
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert AuditEntry.objects.filter(kind=AuditKind.SIGNED_IN, user=world.wanan_official).count() == 1


def test_a_wrong_password_is_refused_in_chinese(client, world):
    response = sign_in(client, "wanan", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_with_a_chinese_page(client, world):
    for _ in range(4):
        assert sign_in(client, "wanan", "wrong").status_code == 200
    response = sign_in(client, "wanan", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "账号已暂时锁定" in page
    assert "15 分钟后再试" in page
    kinds = list(AuditEntry.objects.filter(username="wanan").values_list("kind", flat=True))
    assert kinds.count(AuditKind.SIGN_IN_FAILED) == 5
    assert kinds.count(AuditKind.LOCKED_OUT) == 1


def test_a_locked_account_is_refused_even_with_the_right_password(client, world):
    for _ in range(5):
        sign_in(client, "wanan", "wrong")
    locked = sign_in(client, "wanan")
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(kind=AuditKind.SIGNED_IN).exists()


def test_the_lock_lifts_after_the_cool_off(client, world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            sign_in(client, "wanan", "wrong")
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        response = sign_in(client, "wanan")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(world.wanan_official.pk)


def test_the_lock_still_holds_fourteen_minutes_later(client, world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            sign_in(client, "wanan", "wrong")
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert sign_in(client, "wanan").status_code == 429


def test_the_lock_is_per_account_and_address_so_others_still_sign_in(client, world):
    for _ in range(5):
        sign_in(client, "wanan", "wrong")
    assert sign_in(client, "shanmu").status_code == 302


def test_sign_out_is_a_post(client, world):
    client.force_login(world.wanan_official)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_an_idle_session_ends_after_two_hours(client, world, settings):
    settings.SESSION_COOKIE_AGE = 120 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert sign_in(client, "wanan").status_code == 302
    with time_machine.travel(start + datetime.timedelta(minutes=119), tick=False):
        assert client.get(reverse("home")).status_code == 200  # renews the session
    with time_machine.travel(start + datetime.timedelta(minutes=119 + 119), tick=False):
        assert client.get(reverse("home")).status_code == 200  # still within 120 minutes of the last request
        last = timezone.now()
    with time_machine.travel(last + datetime.timedelta(minutes=121), tick=False):
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# ---- Password change -----------------------------------------------------------------------------


def test_password_change_is_reachable_from_the_user_menu(client, world):
    client.force_login(world.wanan_official)
    page = client.get(reverse("home")).content.decode()
    assert reverse("password-change") in page
    assert reverse("account-tokens") in page


def test_a_weak_new_password_is_refused_by_the_validators(client, world):
    client.force_login(world.wanan_official)
    response = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "这个密码太常见了" in page or "密码全都是数字" in page
    world.wanan_official.refresh_from_db()
    assert world.wanan_official.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(kind=AuditKind.PASSWORD_CHANGED).exists()


def test_a_good_new_password_replaces_the_old_one(client, world):
    new = "Dongji-2024-xingdong"
    client.force_login(world.wanan_official)
    response = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert response.url == reverse("password-change-done")
    assert "密码已修改" in client.get(response.url).content.decode()
    assert AuditEntry.objects.filter(kind=AuditKind.PASSWORD_CHANGED, user=world.wanan_official).count() == 1
    client.post(reverse("logout"))
    assert sign_in(client, "wanan").status_code == 200  # the old password no longer works
    assert sign_in(client, "wanan", new).status_code == 302


def test_password_change_needs_the_old_password(client, world):
    client.force_login(world.wanan_official)
    new = "Dongji-2024-xingdong"
    response = client.post(
        reverse("password-change"), {"old_password": "nope", "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200
    world.wanan_official.refresh_from_db()
    assert world.wanan_official.check_password(PASSWORD)


# ---- API tokens ------------------------------------------------------------------------------------


def test_a_new_token_is_shown_once(client, world):
    client.force_login(world.leader)
    response = client.post(reverse("account-tokens"), {"name": "市大屏", "read_only": "on"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=world.leader)
    assert token.read_only
    page = client.get(reverse("account-tokens")).content.decode()
    plain = page.split('id="wa-new-token" value="')[1].split('"')[0]
    assert plain.startswith(token.prefix)
    assert services.token_digest(plain) == token.digest
    again = client.get(reverse("account-tokens")).content.decode()
    assert plain not in again
    assert "市大屏" in again
    entry = AuditEntry.objects.get(kind=AuditKind.TOKEN_CREATED)
    assert entry.user == world.leader
    assert entry.detail["token"] == "市大屏"
    assert plain not in str(entry.detail)


def test_a_token_may_expire_on_a_day(client, world):
    client.force_login(world.leader)
    day = timezone.localdate() + datetime.timedelta(days=30)
    client.post(reverse("account-tokens"), {"name": "统计局", "expires_on": day.isoformat()})
    token = ApiToken.objects.get(user=world.leader)
    assert timezone.localtime(token.expires_at).date() == day + datetime.timedelta(days=1)
    assert not token.read_only


def test_a_token_without_a_name_is_refused_in_chinese(client, world):
    client.force_login(world.leader)
    response = client.post(reverse("account-tokens"), {"name": ""})
    assert response.status_code == 400
    assert "该字段是必填项" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_second_active_token_with_the_same_name_is_refused(client, world):
    client.force_login(world.leader)
    client.post(reverse("account-tokens"), {"name": "市大屏"})
    response = client.post(reverse("account-tokens"), {"name": "市大屏"})
    assert response.status_code == 400
    assert "同名的有效令牌" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_revoking_my_token(client, world):
    token, _plain = services.token_create(user=world.leader, by=world.leader, name="市大屏")
    client.force_login(world.leader)
    response = client.post(reverse("account-token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(kind=AuditKind.TOKEN_REVOKED, user=world.leader).count() == 1
    assert "已吊销" in client.get(reverse("account-tokens")).content.decode()


def test_another_users_token_cannot_be_revoked(client, world):
    token, _plain = services.token_create(user=world.leader, by=world.leader, name="市大屏")
    client.force_login(world.office)
    response = client.post(reverse("account-token-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEntry.objects.filter(kind=AuditKind.TOKEN_REVOKED).exists()


def test_revoking_needs_a_post(client, world):
    token, _plain = services.token_create(user=world.leader, by=world.leader, name="市大屏")
    client.force_login(world.leader)
    assert client.get(reverse("account-token-revoke", args=[token.pk])).status_code == 405


def test_another_users_tokens_are_not_listed(client, world):
    services.token_create(user=world.leader, by=world.leader, name="县长的令牌")
    client.force_login(world.wanan_official)
    assert "县长的令牌" not in client.get(reverse("account-tokens")).content.decode()


# ---- Audit log ----------------------------------------------------------------------------------


@pytest.fixture
def audit_trail(client, world):
    sign_in(client, "wanan", "wrong")
    sign_in(client, "wanan")
    client.post(reverse("logout"))
    sign_in(client, "tunli")  # 尧都区
    client.post(reverse("logout"))
    return world


def test_the_office_reads_its_regions_audit_log(client, audit_trail):
    client.force_login(audit_trail.office)
    response = client.get(reverse("audit-log"))
    assert response.status_code == 200
    rows = [(e.kind, e.username) for e in response.context["page"].object_list]
    assert ("sign_in_failed", "wanan") in rows
    assert ("signed_in", "wanan") in rows
    assert all(username != "tunli" for _kind, username in rows)
    # Newest first.
    ats = [e.at for e in response.context["page"].object_list]
    assert ats == sorted(ats, reverse=True)


def test_another_countys_office_does_not_see_hongdong_entries(client, audit_trail):
    client.force_login(audit_trail.other_office)
    response = client.get(reverse("audit-log"))
    usernames = {e.username for e in response.context["page"].object_list}
    assert "wanan" not in usernames
    assert "tunli" in usernames


def test_the_audit_log_shows_lockouts_of_the_regions_accounts(client, world):
    for _ in range(5):
        sign_in(client, "wanan", "wrong")
    client.force_login(world.office)
    response = client.get(reverse("audit-log"), {"kind": "locked_out"})
    assert [e.username for e in response.context["page"].object_list] == ["wanan"]
    client.force_login(world.other_office)
    response = client.get(reverse("audit-log"), {"kind": "locked_out"})
    assert list(response.context["page"].object_list) == []


def test_the_audit_log_filters_by_kind_and_username(client, audit_trail):
    client.force_login(audit_trail.office)
    response = client.get(reverse("audit-log"), {"kind": "sign_in_failed"})
    assert {e.kind for e in response.context["page"].object_list} == {"sign_in_failed"}
    response = client.get(reverse("audit-log"), {"username": "WAN"})
    assert {e.username for e in response.context["page"].object_list} == {"wanan"}
    response = client.get(reverse("audit-log"), {"username": "shanmu"})
    assert list(response.context["page"].object_list) == []


def test_an_official_gets_403_on_the_audit_log(client, world):
    client.force_login(world.wanan_official)
    assert client.get(reverse("audit-log")).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in_from_the_audit_log(client, db):
    response = client.get(reverse("audit-log"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_superuser_reads_every_entry(client, audit_trail):
    admin = services.person_create(by=None, username="root", unit=None, role="office", is_superuser=True)
    client.force_login(admin)
    usernames = {e.username for e in client.get(reverse("audit-log")).context["page"].object_list}
    assert {"wanan", "tunli"} <= usernames


def test_the_audit_log_pages_by_fifty_in_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    for n in range(3):
        record(AuditKind.EXPORTED, user=world.wanan_official, rows=n)
    client.force_login(world.office)
    client.get(reverse("audit-log"))  # warm the session
    with django_assert_num_queries(8) as few:  # session, user, access, nav ×2, bell, count, page
        client.get(reverse("audit-log"))
    for n in range(60):
        record(AuditKind.EXPORTED, user=world.wanan_official, rows=n)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("audit-log"))
    assert len(response.context["page"].object_list) == 50
    second = client.get(reverse("audit-log"), {"page": 2})
    assert len(second.context["page"].object_list) == 63 + 1 - 50  # and force_login's sign-in
