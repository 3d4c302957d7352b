from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from tasks.demo.data import DEMO_ACCOUNTS, DEMO_PASSWORD, MAIN_ACCOUNTS


class Command(BaseCommand):
    help = _("列出演示账号(密码均为 winteraction)。")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help=_("列出全部演示账号,而不只是主要的五个。"))

    def handle(self, *args, **options):
        accounts = DEMO_ACCOUNTS if options["all"] else DEMO_ACCOUNTS[:MAIN_ACCOUNTS]
        width = max(len(username) for username, _about in accounts) + 2
        self.stdout.write(_("  演示账号(密码均为 %(password)s):") % {"password": DEMO_PASSWORD})
        for username, description in accounts:
            self.stdout.write(f"    {username:<{width}}{description}")
        if not options["all"]:
            self.stdout.write(
                _("    另有 %(count)d 个账号:manage.py demo_accounts --all")
                % {"count": len(DEMO_ACCOUNTS) - MAIN_ACCOUNTS}
            )
