"""The outside channels (supervision/channels.py): which robot addresses may be used, what is sent to
WeCom and DingTalk and how their answers are read, DingTalk's signature, email."""

import base64
import hashlib
import hmac
import socket
import urllib.parse

import pytest
from django.core.exceptions import ValidationError

from supervision import channels
from supervision.channels import (
    PermanentError,
    TransientError,
    check_address,
    check_webhook_url,
    dingtalk_signed_url,
)
from supervision.messages import Message
from supervision.models import Channel, Delivery, NotifyEndpoint
from tests.reminders.webhook_receiver import running_receiver

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=a6e0f8b1c2d3"


@pytest.fixture
def receiver(settings):
    with running_receiver() as receiver:
        settings.WEBHOOK_TEST_HOSTS = [receiver.host]
        yield receiver


@pytest.fixture
def offline(monkeypatch):
    """No DNS (an intranet without a resolver for the vendors' names)."""

    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)


def resolving_to(monkeypatch, *addresses):
    def answer(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", answer)


def message(**kwargs) -> Message:
    values = {
        "title": "【逾期催办】煤矿隐患排查 已逾期 3 天",
        "lines": ["任务:HD-AQ-001 煤矿隐患排查", "牵头单位:万安镇"],
        "url": "https://ducha.hongtong.gov.cn/tasks/1/",
        "items": [],
    }
    values.update(kwargs)
    return Message(**values)


# ---- Robot addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/cgi-bin/webhook/send?key=x",
        "http://127.0.0.1:8080/hook",
        "https://10.0.3.7/robot/send",
        "https://192.168.1.20/robot/send",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/robot/send",
        "https://example.com/webhook",
        "https://qyapi.weixin.qq.com.attacker.example/cgi-bin/webhook/send?key=x",
        "https://qyapi.weixin.qq.com@10.0.0.1/cgi-bin/webhook/send?key=x",
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        "http://oapi.dingtalk.com/robot/send?access_token=x",
        "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send",
        "https://qyapi.weixin.qq.com:99999/cgi-bin/webhook/send",
        "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        "",
    ],
)
def test_a_robot_address_outside_the_allowlist_or_not_https_is_refused(url, offline):
    with pytest.raises(ValidationError):
        check_webhook_url(url)


@pytest.mark.parametrize("url", [WECOM, DINGTALK, f"  {WECOM}  "])
def test_the_vendors_https_addresses_are_accepted_even_when_they_cannot_be_resolved(url, offline):
    assert check_webhook_url(url) == url.strip()


def test_the_wecom_address_is_accepted_as_it_resolves_here(db):
    # Online it resolves to a public address, offline it does not resolve: accepted either way.
    assert check_webhook_url(WECOM) == WECOM


def test_a_public_resolution_is_accepted(monkeypatch):
    resolving_to(monkeypatch, "101.226.212.27")
    assert check_webhook_url(WECOM) == WECOM


@pytest.mark.parametrize(
    "address", ["10.20.30.40", "127.0.0.1", "100.64.0.9", "::ffff:192.168.0.1", "fd00::1"]
)
def test_an_allowed_name_that_resolves_into_the_intranet_is_refused(monkeypatch, address):
    resolving_to(monkeypatch, address)
    with pytest.raises(ValidationError, match="内网"):
        check_webhook_url(WECOM)


def test_an_allowed_ip_literal_in_the_intranet_is_still_refused(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.0.0.5"]
    with pytest.raises(ValidationError, match="内网"):
        check_webhook_url("https://10.0.0.5/robot")


def test_the_test_receiver_is_let_through_only_at_its_exact_host_and_port(settings, offline):
    settings.WEBHOOK_TEST_HOSTS = ["127.0.0.1:8765"]
    assert check_webhook_url("http://127.0.0.1:8765/hook") == "http://127.0.0.1:8765/hook"
    with pytest.raises(ValidationError):
        check_webhook_url("http://127.0.0.1:8766/hook")


def test_an_email_address_is_checked_as_one():
    assert check_address(Channel.EMAIL, " wanan@hongtong.gov.cn ") == "wanan@hongtong.gov.cn"
    with pytest.raises(ValidationError):
        check_address(Channel.EMAIL, "wanan at hongtong")
    with pytest.raises(ValidationError):
        check_address(Channel.WECOM, "https://10.0.0.1/hook")
    with pytest.raises(ValidationError):
        check_address("fax", "0357-1234567")


# ---- DingTalk's signature (加签) ------------------------------------------------------------------------


def test_the_dingtalk_signature_is_base64_hmac_sha256_of_timestamp_and_secret_url_encoded():
    secret = "SECb6d7e0f1a2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829+/="
    timestamp = 1757464200000
    url = dingtalk_signed_url(DINGTALK, secret, timestamp)

    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode("ascii")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query == {"access_token": ["a6e0f8b1c2d3"], "timestamp": [str(timestamp)], "sign": [expected]}
    assert url.endswith(f"&sign={urllib.parse.quote(expected, safe='')}")


def test_the_dingtalk_timestamp_is_now_in_milliseconds(time_machine):
    time_machine.move_to(1757464200.5, tick=False)
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send", "SECx")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["timestamp"] == ["1757464200500"]
    assert url.startswith("https://oapi.dingtalk.com/robot/send?timestamp=")


# ---- Sending ----------------------------------------------------------------------------------------------


def test_wecom_gets_a_markdown_message(receiver):
    sent = message()
    channels.send(Delivery(channel=Channel.WECOM, address=receiver.url), sent)
    (request,) = receiver.requests
    assert request["path"] == "/cgi-bin/webhook/send?key=test"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert request["body"] == {"msgtype": "markdown", "markdown": {"content": sent.markdown}}
    assert "### 【逾期催办】煤矿隐患排查 已逾期 3 天" in sent.markdown
    assert "[查看详情](https://ducha.hongtong.gov.cn/tasks/1/)" in sent.markdown


def test_dingtalk_gets_a_markdown_message_with_a_title_on_a_signed_address(db, receiver):
    endpoint = NotifyEndpoint.objects.create(
        group=None,
        unit=_unit(),
        channel=Channel.DINGTALK,
        address=receiver.url,
        secret="SECabc123",
    )
    sent = message()
    channels.send(Delivery(channel=Channel.DINGTALK, address=receiver.url, endpoint=endpoint), sent)
    (request,) = receiver.requests
    assert request["body"] == {
        "msgtype": "markdown",
        "markdown": {"title": sent.title, "text": sent.markdown},
    }
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    assert set(query) == {"key", "timestamp", "sign"}
    digest = hmac.new(b"SECabc123", f"{query['timestamp'][0]}\nSECabc123".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()]


def test_dingtalk_without_a_secret_is_sent_unsigned(receiver):
    channels.send(Delivery(channel=Channel.DINGTALK, address=receiver.url), message())
    assert receiver.requests[0]["path"] == "/cgi-bin/webhook/send?key=test"


def test_a_long_digest_is_cut_to_what_wecom_accepts_keeping_the_link(receiver):
    items = [
        {
            "label": f"HD-AQ-{n:03d} 煤矿“三堂一舍”隐患排查整治",
            "detail": "万安镇,逾期 5 天",
            "url": f"https://ducha.hongtong.gov.cn/tasks/{n}/",
        }
        for n in range(50)
    ]
    sent = message(items=items)
    assert len(sent.markdown.encode()) > channels.WECOM_MARKDOWN_MAX_BYTES
    channels.send(Delivery(channel=Channel.WECOM, address=receiver.url), sent)
    content = receiver.requests[0]["body"]["markdown"]["content"]
    assert len(content.encode()) <= channels.WECOM_MARKDOWN_MAX_BYTES
    assert content.startswith("### 【逾期催办】")
    assert content.endswith("…\n[查看详情](https://ducha.hongtong.gov.cn/tasks/1/)")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, {"errcode": 404}, PermanentError),
        (400, b"bad request", PermanentError),
        (403, b"", PermanentError),
        (429, b"", TransientError),
        (500, b"", TransientError),
        (503, b"", TransientError),
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, TransientError),
        (200, b"<html>gateway</html>", TransientError),
    ],
    ids=["404", "400", "403", "429", "500", "503", "errcode", "not-json"],
)
def test_how_the_robots_answer_is_read(receiver, status, body, error):
    receiver.reply(status, body)
    with pytest.raises(error):
        channels.send(Delivery(channel=Channel.WECOM, address=receiver.url), message())


def test_a_redirect_is_not_followed(receiver):
    receiver.reply(302, b"", {"Location": "http://10.0.0.1/internal"})
    with pytest.raises(PermanentError, match="302"):
        channels.send(Delivery(channel=Channel.WECOM, address=receiver.url), message())
    assert len(receiver.requests) == 1


def test_nothing_listening_is_a_transient_error(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.WEBHOOK_TEST_HOSTS = [f"127.0.0.1:{port}"]
    with pytest.raises(TransientError):
        channels.send(Delivery(channel=Channel.WECOM, address=f"http://127.0.0.1:{port}/hook"), message())


def test_an_address_in_the_intranet_is_refused_again_on_send(receiver, settings):
    with pytest.raises(PermanentError, match=r"内网|只允许"):
        channels.send(
            Delivery(channel=Channel.WECOM, address="https://10.1.1.1/cgi-bin/webhook/send"), message()
        )
    assert receiver.requests == []


def test_an_email_goes_out_with_text_and_html(mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "ducha@hongtong.gov.cn"
    sent = message()
    channels.send(Delivery(channel=Channel.EMAIL, address="wanan@hongtong.gov.cn"), sent)
    (email,) = mailoutbox
    assert (email.subject, email.to, email.from_email) == (
        sent.title,
        ["wanan@hongtong.gov.cn"],
        "ducha@hongtong.gov.cn",
    )
    assert email.body == sent.text
    ((html, kind),) = email.alternatives
    assert kind == "text/html" and sent.title in html and sent.url in html


def _unit():
    from tasks.services import unit_create

    return unit_create(by=None, name="洪洞县", kind="county")
