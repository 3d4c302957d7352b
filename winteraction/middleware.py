import contextvars
import logging
import re
import time
import uuid

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in

from .config import session_renewal_seconds

# ---- Request id ------------------------------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy may hand us (nginx's $request_id, a UUID, a trace id): nothing that could forge a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_request_id = contextvars.ContextVar("request_id", default="-")


class RequestIdMiddleware:
    """Each request gets an id: the proxy's X-Request-ID if it looks like one, else a new one. It goes
    back in the response's X-Request-ID, on every log line of the request (RequestIdFilter), and on the
    500 page and the API's 500 body, so a user's screenshot leads to the traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = _request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (settings.LOGGING's format shows it)."""

    def filter(self, record):
        record.request_id = _request_id.get()
        return True


# ---- Idle sign-out ---------------------------------------------------------------------------------


class SessionIdleTimeoutMiddleware:
    """Sessions end after SESSION_COOKIE_AGE seconds without a request (SESSION_IDLE_MINUTES).

    Renewing the expiry means saving the session; doing it on every request
    (SESSION_SAVE_EVERY_REQUEST) would make every page view a database write. Here it is
    renewed at most once a minute (more often for an idle limit of a few minutes, see
    config.session_renewal_seconds), so the idle limit holds to within that interval.
    """

    KEY = "_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        # Only a session sign-in is renewed: an API-token request has no session to keep alive, and
        # writing one for it would make every API call a database write.
        signed_in = session is not None and session.get(SESSION_KEY) is not None
        if signed_in and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= session_renewal_seconds(settings.SESSION_COOKIE_AGE):
                session[self.KEY] = now  # modified: Django saves it with a fresh expiry
        return response


def _mark_sign_in(sender, request, user, **kwargs):
    # Signing in saves the session anyway: count it as the first renewal.
    if request is not None and hasattr(request, "session"):
        request.session[SessionIdleTimeoutMiddleware.KEY] = int(time.time())


user_logged_in.connect(_mark_sign_in, dispatch_uid="winteraction-session-idle-sign-in")
