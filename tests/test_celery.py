"""The Celery app takes its broker from the same settings as Django."""

from winteraction.celery import app


def test_celery_uses_redis_from_redis_url_and_reaches_it(redis_url, settings):
    assert settings.CELERY_BROKER_URL == redis_url
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        assert connection.transport_cls == "redis"
        assert connection.connected


def test_celery_runs_in_the_zone_of_the_county():
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
