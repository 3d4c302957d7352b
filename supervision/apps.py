from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("督导检查")

    def ready(self):
        # The jobs register with the Celery app in every process, the web's too: the outbox publishes
        # its delivery job by name (supervision/outbox.py), without importing jobs.py.
        from . import (
            jobs,  # noqa: F401
            seams,
        )

        # What supervision adds to tasks' pages and rules (tasks/seams.py): group scopes in the access
        # rules, the 督办单 on the 工作台, the 催办 button on the task page.
        seams.register()
