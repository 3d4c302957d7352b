from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("任务管理")

    def ready(self):
        import winteraction.middleware  # noqa: F401  (connects the idle timeout to sign-ins)

        from . import audit  # noqa: F401  (connects the audit log to sign-in signals)
