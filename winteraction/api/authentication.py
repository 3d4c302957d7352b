"""API tokens: `Authorization: Token <token>` or `Authorization: Bearer <token>`."""

import datetime

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

KEYWORDS = {"token", "bearer"}
TOUCH_EVERY = datetime.timedelta(minutes=1)


def token_model():
    """The model of API tokens (settings.API_TOKEN_MODEL): its manager's `for_key(plain)` answers the
    token with its user (and what access needs of the user) in one query, or None."""
    return apps.get_model(settings.API_TOKEN_MODEL, require_ready=True)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头格式不正确,应为“Token <令牌>”。"))
        try:
            plain = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("令牌无效。")) from None
        token = token_model().objects.for_key(plain)
        now = timezone.now()
        if token is None or token.revoked_at is not None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效或已被吊销。"))
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("令牌已过期。"))
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            # At most one write a minute per token, so polling stays read-only.
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Token realm="api"'
