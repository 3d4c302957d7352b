from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("督导检查")

    def ready(self):
        from . import seams

        seams.register()  # group scopes in tasks' access rules, orders on the 工作台 (tasks/seams.py)
