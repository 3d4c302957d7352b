"""Throttles per token, per signed-in user and per anonymous address; rates from settings.API_RATES.

The counters live in the default cache (Redis in production). Throttling is a guard, not a service:
when the cache is down or hangs, requests go through unthrottled (fail open) with a warning in the
log, and a circuit breaker keeps the dead cache out of the request path for
THROTTLE_BREAKER_SECONDS, so an outage costs one short timeout (CACHE_TIMEOUT_MS) per process per
period, not one per request.

Every throttled API response carries X-RateLimit-Limit, -Remaining and -Reset from the throttle that
applies (the tightest, if several do); a 304 gives its request back (RateLimitHeadersMiddleware).
"""

import logging
import math
import threading
import time

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework import throttling

log = logging.getLogger("winteraction.api.throttling")

# What a cache that is down or hangs raises (Django's Redis cache lets redis-py's errors through).
CACHE_ERRORS = (RedisError, OSError)


class CircuitBreaker:
    """Open after a cache error: for `seconds` nobody in this process asks the cache."""

    def __init__(self):
        self._lock = threading.Lock()
        self._open_until = 0.0

    @property
    def open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, exc: BaseException) -> None:
        seconds = settings.THROTTLE_BREAKER_SECONDS
        with self._lock:
            if self.open:
                return  # another thread got there first and said so
            self._open_until = time.monotonic() + seconds
        log.warning(
            "throttle cache unavailable (%s: %s): API requests are not throttled for the next %d s",
            type(exc).__name__,
            exc,
            seconds,
        )

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


breaker = CircuitBreaker()


class _SettingsRates:
    def get_rate(self):
        return settings.API_RATES.get(self.scope)

    def allow_request(self, request, view):
        if breaker.open:
            return True
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            breaker.trip(exc)
            return True
        if self.rate is not None and getattr(self, "key", None) is not None:
            # On the Django request: the DRF one is gone by the time the middleware sees the response.
            request._request.__dict__.setdefault("rate_limits", []).append(self)
        return allowed

    # -- what the headers say

    @property
    def remaining(self) -> int:
        return max(0, self.num_requests - len(self.history))

    @property
    def reset_seconds(self) -> int:
        """Seconds until the oldest request counted leaves the window (Remaining goes up again)."""
        if not self.history:
            return 0
        return max(0, math.ceil(self.history[-1] + self.duration - self.now))

    def give_back(self) -> None:
        """Uncount this request (it was answered 304): take its timestamp out of the window."""
        if breaker.open or not self.history or self.history[0] != self.now:
            return  # throttled (never counted) or not counted here
        try:
            history = self.cache.get(self.key, [])
            if self.now in history:
                history.remove(self.now)
                self.cache.set(self.key, history, self.duration)
        except CACHE_ERRORS as exc:
            breaker.trip(exc)
            return
        self.history = self.history[1:]


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


class RateLimitHeadersMiddleware:
    """X-RateLimit-Limit/-Remaining/-Reset on the responses of throttled API views, from the tightest
    throttle that applied; a 304 (nothing sent, the client's copy is current) is not counted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        applied = request.__dict__.get("rate_limits")
        if not applied:
            return response
        if response.status_code == 304:
            for throttle in applied:
                throttle.give_back()
        tightest = min(applied, key=lambda t: (t.remaining, t.num_requests))
        response["X-RateLimit-Limit"] = str(tightest.num_requests)
        response["X-RateLimit-Remaining"] = str(tightest.remaining)
        response["X-RateLimit-Reset"] = str(tightest.reset_seconds)
        return response
