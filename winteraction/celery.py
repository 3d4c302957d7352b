"""The Celery app. Background work lives in each app's `jobs.py` ("task" is the domain's word)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "winteraction.settings")

app = Celery("winteraction")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
