from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("督导检查")

    def ready(self):
        # The jobs register with the Celery app in every process, the web's too: the outbox publishes
        # its delivery job by name (supervision/outbox.py), without importing jobs.py.
        from . import jobs  # noqa: F401

        # The task page's 催办 button (a seam: tasks knows nothing of supervision).
        from .views.chasing import register_task_chase

        register_task_chase()
