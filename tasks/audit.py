"""The audit log: sign-ins, failed sign-ins, lockouts and exports, recorded as they happen."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditEntry, AuditKind


def client_ip(request) -> str | None:
    if request is None:
        return None
    from django.conf import settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if settings.NUM_PROXIES and len(hops) >= settings.NUM_PROXIES:
        return hops[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR") or None


def record(kind: str, *, request=None, user=None, username: str = "", unit_id=None, **detail) -> AuditEntry:
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEntry.objects.create(
        kind=kind,
        user=user,
        username=(user.get_username() if user else username)[:150],
        unit_id=getattr(user, "unit_id", None) or unit_id,
        ip=client_ip(request),
        detail=detail,
    )


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record(AuditKind.SIGNED_IN, request=request, user=user)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(AuditKind.SIGNED_OUT, request=request, user=user)


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username", "")
    # The account the attempt was for, if it exists: the office reads failures per unit.
    unit_id = get_user_model().objects.filter(username=username).values_list("unit_id", flat=True).first()
    record(AuditKind.SIGN_IN_FAILED, request=request, username=username, unit_id=unit_id)


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    unit_id = get_user_model().objects.filter(username=username).values_list("unit_id", flat=True).first()
    record(AuditKind.LOCKED_OUT, request=request, username=username or "", unit_id=unit_id)


try:  # django-axes' own signal
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="winteraction-audit-locked-out")
except ImportError:  # pragma: no cover
    pass
