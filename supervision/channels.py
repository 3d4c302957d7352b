"""The outside channels a delivery goes through: email (Django's SMTP backend), a WeCom group robot
and a DingTalk custom robot (both webhooks taking Markdown), and the checks a webhook address passes.

A webhook address must name a host in WEBHOOK_ALLOWED_HOSTS (the two vendors' hosts by default) over
HTTPS, and must not resolve to a loopback, private, link-local or reserved address: the feature
cannot be turned into a way to reach the intranet. It is checked when saved and again before each
send (a name can be re-pointed), and a redirect is never followed.

A send resolves the name ONCE, checks every address it resolved to, and connects to a checked address
itself (`resolve_webhook_url`, `_PinnedHTTPSConnection`): the Host header, TLS SNI and the
certificate check still use the name. A second lookup by the HTTP library could answer differently
(DNS rebinding) and reach the intranet. A proxy from the environment is not used for webhooks: it
would resolve the name again, out of our sight.

WEBHOOK_TEST_HOSTS (a test-only setting, never read from the environment) lets the test suite's
receivers on 127.0.0.1 through, by exact host:port: plain HTTP, and a loopback address (only
loopback) for that host:port.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import smtplib
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass

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


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook address: where to connect (`addresses`, each one checked) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]


def _loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def resolve_webhook_url(url: str, *, resolve: bool = True) -> WebhookTarget:
    """The URL checked and resolved once, or ValidationError (in the user's language) saying why it
    may not be used. `addresses` is empty when the name did not resolve (or `resolve` is False)."""
    url = (url or "").strip()
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(_("Webhook 地址格式不正确。")) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(_("Webhook 地址须以 https:// 开头。"))
    testing = f"{host}:{port}" in _test_hosts()
    if not testing:
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
    addresses = list(dict.fromkeys(address.split("%")[0] for address in addresses))
    for address in addresses:
        if _forbidden_ip(address) and not (testing and _loopback(address)):
            raise ValidationError(_("Webhook 地址不能指向内网或本机地址。"))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(url, parts.scheme, host, port, target, tuple(addresses))


def check_webhook_url(url: str, *, resolve: bool = True) -> str:
    """The URL, or ValidationError (in the user's language) saying why it may not be used."""
    return resolve_webhook_url(url, resolve=resolve).url


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


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to the address itself: no resolver on the way (create_connection would ask one)."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to one checked address; the Host header stays the name (test receivers only)."""

    def __init__(self, target: WebhookTarget, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = _connect(self.address, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one checked address: SNI and the certificate's check against the name, not the address."""

    def __init__(self, target: WebhookTarget, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = _connect(self.address, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST `body` to a webhook address checked now and connected to at the address that was checked.

    Returns (status, the first 64 KiB of the answer) for a 2xx. Raises PermanentError for an address
    that may not be used, a redirect (not followed: its target is unchecked) and a 4xx other than 408
    and 429; TransientError for anything else (no answer, a timeout, 408, 429, 5xx)."""
    try:
        target = resolve_webhook_url(url)
    except ValidationError as exc:
        raise PermanentError(" ".join(exc.messages)) from None
    if not target.addresses:
        raise TransientError(f"cannot resolve {target.host}")
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    errors = []
    for address in target.addresses:  # each one checked above; the first that answers
        connection = kind(target, address, settings.WEBHOOK_TIMEOUT_SECONDS)
        try:
            connection.request("POST", target.target, body=body, headers=headers)
            response = connection.getresponse()
            status, payload = response.status, response.read(65536)
        except ssl.SSLCertVerificationError as exc:
            raise TransientError(f"TLS: {exc.verify_message or exc}") from None
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{address}: {exc}")
            continue
        finally:
            connection.close()
        if 300 <= status < 400:
            raise PermanentError(f"HTTP {status}: the address redirects (not followed)")
        if 400 <= status < 500 and status not in (408, 429):
            raise PermanentError(f"HTTP {status}")
        if not 200 <= status < 300:
            raise TransientError(f"HTTP {status}")
        return status, payload
    raise TransientError("; ".join(errors))


def _post_json(url: str, body: dict) -> dict:
    """A robot's POST: JSON in, JSON with errcode 0 out."""
    _status, payload = post(
        url,
        json.dumps(body, ensure_ascii=False).encode(),
        {"Content-Type": "application/json; charset=utf-8"},
    )
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


# ---- Outbound webhooks (supervision/webhooks.py records them; docs/webhooks.md) ----------------------


def webhook_body(event) -> bytes:
    """What an integrator receives for a WebhookEvent: the same bytes on every retry."""
    return json.dumps(
        {
            "id": str(event.uuid),
            "type": event.type,
            "created_at": event.created_at.isoformat(),
            "data": event.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the endpoint's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_headers(event, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "WinterAction-Webhooks/1",
        "X-WinterAction-Event": event.type,
        "X-WinterAction-Delivery": str(event.uuid),
        "X-WinterAction-Timestamp": stamp,
        "X-WinterAction-Signature": webhook_signature(secret, stamp, body),
    }


def send_webhook(delivery) -> None:
    """Send a webhook delivery's event, signed now; raise as `send` does."""
    endpoint = delivery.webhook
    if endpoint is None or not endpoint.enabled:
        raise PermanentError("the webhook endpoint is disabled")
    body = webhook_body(delivery.webhook_event)
    post(delivery.address, body, webhook_headers(delivery.webhook_event, endpoint.secret, body))


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
