"""Throttles per token, per signed-in user and per anonymous address; rates from settings.API_RATES."""

from django.conf import settings
from rest_framework import throttling


class _SettingsRates:
    def get_rate(self):
        return settings.API_RATES.get(self.scope)


class TokenRateThrottle(_SettingsRates, throttling.SimpleRateThrottle):
    """Each token has its own budget, so one runaway script does not starve its owner's browser."""

    scope = "token"

    def get_cache_key(self, request, view):
        if request.auth is not None:  # an API token (sessions leave `auth` unset)
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class UserRateThrottle(_SettingsRates, throttling.UserRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if request.auth is not None:  # an API token (sessions leave `auth` unset)
            return None  # counted per token
        return super().get_cache_key(request, view)


class AnonRateThrottle(_SettingsRates, throttling.AnonRateThrottle):
    scope = "anon"


class LoginRateThrottle(_SettingsRates, throttling.AnonRateThrottle):
    """Password sign-in for a token: per client address, whoever they claim to be."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
