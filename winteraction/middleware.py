import time

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in


class SessionIdleTimeoutMiddleware:
    """Sessions end after SESSION_COOKIE_AGE seconds without a request (SESSION_IDLE_MINUTES).

    Renewing the expiry means saving the session; doing it on every request
    (SESSION_SAVE_EVERY_REQUEST) would make every page view a database write. Here it is
    renewed at most once a minute, so the idle limit holds to within a minute.
    """

    KEY = "_last_seen"
    EVERY = 60

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
            if now - session.get(self.KEY, 0) >= self.EVERY:
                session[self.KEY] = now  # modified: Django saves it with a fresh expiry
        return response


def _mark_sign_in(sender, request, user, **kwargs):
    # Signing in saves the session anyway: count it as the first renewal.
    if request is not None and hasattr(request, "session"):
        request.session[SessionIdleTimeoutMiddleware.KEY] = int(time.time())


user_logged_in.connect(_mark_sign_in, dispatch_uid="winteraction-session-idle-sign-in")
