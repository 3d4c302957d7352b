"""Fixtures for the REST API tests: a client per caller, signed in by session or by a real token."""

import pytest


@pytest.fixture
def make_token(db):
    """A real token from `token_create`, returned in plain (as the user would copy it once)."""
    from tasks import services

    def make(user, *, read_only=False, name="测试令牌") -> str:
        _token, plain = services.token_create(user=user, by=user, name=name, read_only=read_only)
        return plain

    return make


@pytest.fixture
def media(settings, tmp_path):
    """Uploads go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
