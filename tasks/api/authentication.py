"""API tokens: `Authorization: Token <token>` or `Authorization: Bearer <token>`."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from ..compiled import ANY_TEXT, CompiledQueries
from ..models import ApiToken, Person, Unit
from ..services import token_digest

KEYWORDS = {"token", "bearer"}
TOUCH_EVERY = datetime.timedelta(minutes=1)


COMPILED = CompiledQueries(size=1)


def _fields(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _token(digest: str) -> ApiToken | None:
    """The token with `digest`, its user and the user's unit, in one query: every API request asks, so
    the statement is compiled once (tasks/compiled.py) and the three rows are made from its columns."""
    token_fields, person_fields, unit_fields = _fields(ApiToken), _fields(Person), _fields(Unit)
    columns = [
        *token_fields,
        *(f"user__{name}" for name in person_fields),
        *(f"user__unit__{name}" for name in unit_fields),
    ]
    found = COMPILED.rows(
        "api token", lambda: ApiToken.objects.filter(digest=ANY_TEXT).values(*columns), text=digest
    )
    if not found:
        return None
    row, alias = found[0], ApiToken.objects.db
    token = ApiToken.from_db(alias, token_fields, [row[name] for name in token_fields])
    user = Person.from_db(alias, person_fields, [row[f"user__{name}"] for name in person_fields])
    unit = None
    if user.unit_id is not None:
        unit = Unit.from_db(alias, unit_fields, [row[f"user__unit__{name}"] for name in unit_fields])
    user.unit, token.user = unit, user
    return token


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
        token = _token(token_digest(plain))
        now = timezone.now()
        if token is None or token.revoked_at is not None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效或已被吊销。"))
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("令牌已过期。"))
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            # At most one write a minute per token, so polling stays read-only.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Token realm="api"'
