"""The outside channels a delivery goes through: email (Django's SMTP backend), a WeCom group robot
and a DingTalk custom robot (both webhooks taking Markdown), and the checks a webhook address passes.

A webhook address must name a host in WEBHOOK_ALLOWED_HOSTS (the two vendors' hosts by default) over
HTTPS, and must not resolve to a loopback, private, link-local or reserved address: the feature
cannot be turned into a way to reach the intranet. It is checked when saved and again before each
send (a name can be re-pointed), and a redirect is never followed. WEBHOOK_TEST_HOSTS (a test-only setting, never read from the
environment) lets the test suite's receivers on 127.0.0.1 through, by exact host:port.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import Channel


class PermanentError(Exception):
    """The remote refused for good (a wrong address): retrying will not help."""


class TransientError(Exception):
    """The remote did not accept, this time."""


# ---- Addresses ------------------------------------------------------------------------------------


def _test_hosts() -> set[str]:
    return set(getattr(settings, "WEBHOOK_TEST_HOSTS", ()))


def _forbidden_ip(address: str) -> bool:
    """Anything but a public unicast address: loopback, private, link-local, shared (100.64/10),
    reserved, multicast, unspecified, and the same written as an IPv4-mapped IPv6 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_webhook_url(url: str, *, resolve: bool = True) -> str:
    """The URL, or ValidationError (in the user's language) saying why it may not be used."""
    url = (url or "").strip()
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(_("Webhook 地址格式不正确。")) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(_("Webhook 地址须以 https:// 开头。"))
    if f"{host}:{port}" in _test_hosts():
        return url
    allowed = [h.lower() for h in settings.WEBHOOK_ALLOWED_HOSTS]
    if host not in allowed:
        raise ValidationError(
            _("只允许以下主机的机器人地址:%(hosts)s。") % {"hosts": "、".join(allowed) or _("(未配置)")}
        )
    if parts.scheme != "https":
        raise ValidationError(_("Webhook 地址须以 https:// 开头。"))
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal else []
    if literal is None and resolve:
        try:
            addresses = [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
        except OSError:
            addresses = []  # cannot resolve now (an intranet without DNS for it): checked again on send
    if any(_forbidden_ip(address.split("%")[0]) for address in addresses):
        raise ValidationError(_("Webhook 地址不能指向内网或本机地址。"))
    return url


def check_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(_("请输入有效的邮箱地址。")) from None
        return address
    if channel in (Channel.WECOM, Channel.DINGTALK):
        return check_webhook_url(address)
    raise ValidationError(_("未知的通知渠道。"))


# ---- Sending --------------------------------------------------------------------------------------


# WeCom refuses Markdown content longer than this (UTF-8 bytes).
WECOM_MARKDOWN_MAX_BYTES = 4096


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: its target has not passed check_webhook_url (it could be the
    intranet). urllib then raises HTTPError with the 3xx code."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def fit_bytes(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-8 bytes at a line boundary, keeping its last line (the link)."""
    if len(text.encode()) <= limit:
        return text
    lines = text.split("\n")
    tail = "\n".join(["…", lines[-1]])
    budget = limit - len(tail.encode())
    kept = []
    for line in lines[:-1]:
        size = len(line.encode()) + 1
        if size > budget:
            break
        kept.append(line)
        budget -= size
    return "\n".join([*kept, tail]).encode()[:limit].decode(errors="ignore")


def _post_json(url: str, body: dict) -> dict:
    try:
        check_webhook_url(url)
    except ValidationError as exc:
        raise PermanentError(" ".join(exc.messages)) from None
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        opener = urllib.request.build_opener(_NoRedirects)  # per call: proxies as the environment says now
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            payload = response.read(65536)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise PermanentError(f"HTTP {exc.code}: the robot address redirects (not followed)") from None
        if 400 <= exc.code < 500 and exc.code != 429:
            raise PermanentError(f"HTTP {exc.code}") from None
        raise TransientError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TransientError(str(getattr(exc, "reason", exc))) from None
    try:
        answer = json.loads(payload or b"{}")
    except ValueError:
        raise TransientError(_("机器人返回的不是 JSON")) from None
    if answer.get("errcode", 0) != 0:
        raise TransientError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
    return answer


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's 加签: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def send(delivery, message) -> None:
    """Send one delivery's message; raise PermanentError or another exception when not accepted."""
    if delivery.channel == Channel.EMAIL:
        email = EmailMultiAlternatives(
            subject=message.subject,  # one line: a newline in a header is refused, however often tried
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.address],
        )
        email.attach_alternative(message.html, "text/html")
        try:
            email.send(fail_silently=False)
        except ValueError as exc:
            # The message cannot be written as an email at all (BadHeaderError: a newline in a header;
            # an address the mail library refuses): the same every time, so no retry.
            raise PermanentError(f"cannot be written as an email: {type(exc).__name__}: {exc}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            # 5xx for the address (550 no such user): as permanent as a webhook's 4xx. A 4xx is a
            # "try again later" (mailbox busy, greylisting).
            codes = [code for code, _reply in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentError(f"SMTP {codes[0]}: the mail server refused the address") from None
            raise
    elif delivery.channel == Channel.WECOM:
        content = fit_bytes(message.markdown, WECOM_MARKDOWN_MAX_BYTES)
        _post_json(delivery.address, {"msgtype": "markdown", "markdown": {"content": content}})
    elif delivery.channel == Channel.DINGTALK:
        secret = delivery.endpoint.secret if delivery.endpoint_id else ""
        url = dingtalk_signed_url(delivery.address, secret) if secret else delivery.address
        _post_json(
            url, {"msgtype": "markdown", "markdown": {"title": message.subject, "text": message.markdown}}
        )
    else:
        raise PermanentError(f"unknown channel {delivery.channel}")


def mask_address(channel: str, address: str) -> str:
    """How pages show an address: a webhook's key or access token is its password, so only its host
    and path."""
    if channel == Channel.EMAIL:
        return address
    try:
        parts = urllib.parse.urlsplit(address)
    except ValueError:
        return "…"
    masked = f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
    return f"{masked}?…" if parts.query else masked
