"""The Celery app and its beat schedule. Background work lives in each app's `jobs.py` ("task" is the
domain's word). The beat schedule is CELERY_BEAT_SCHEDULE in settings.py; run exactly one beat process
(see README: Production)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "winteraction.settings")

app = Celery("winteraction")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
