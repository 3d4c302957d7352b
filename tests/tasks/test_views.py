"""The login page. The workspace (home) and the task list are tested in tests/views/."""

from django.urls import reverse


def test_login_page_is_chinese_by_default(client, db):
    response = client.get(reverse("login"))
    assert "登录" in response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"


def test_login_page_in_english_on_request(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.headers["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()
