"""A password change revokes the person's API tokens, whichever way the password changed.

Django tells every entry of AUTH_PASSWORD_VALIDATORS that has a `password_changed` method after a user
whose password was set (`set_password`) is saved: the own password page, the admin's password form,
a reset, `manage.py changepassword` and any service alike. That is the one place all of them pass, so
the revocation hangs there rather than in each view. It validates nothing.
"""

from . import services


class RevokeApiTokensOnPasswordChange:
    def validate(self, password, user=None):
        return None

    def get_help_text(self):
        return ""

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        # The page that changed it tells the person what was revoked (person.revoked_api_tokens).
        user.revoked_api_tokens = services.person_tokens_revoke(person=user, reason="password_changed")
