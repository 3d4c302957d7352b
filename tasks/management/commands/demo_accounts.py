from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from tasks.demo import DEMO_ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = _("列出演示账号(密码均为 winteraction)。")

    def handle(self, *args, **options):
        self.stdout.write(_("  演示账号(密码均为 %(password)s):") % {"password": DEMO_PASSWORD})
        for username, description in DEMO_ACCOUNTS:
            self.stdout.write(f"    {username:<12} {description}")
