"""`python manage.py load_demo`: the demo county (洪洞县's Winter Action), built once.

Here rather than in tasks/: the demo is the county (tasks/demo/) and its supervision (supervision/demo.py),
and only supervision may use both.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supervision.demo import load_demo
from tasks.demo.data import CAMPAIGN_NAME, DEMO_ACCOUNTS, DEMO_PASSWORD, MAIN_ACCOUNTS
from tasks.demo.loader import DemoConflict, demo_exists


class Command(BaseCommand):
    help = _(
        "载入演示数据:临汾市洪洞县的“冬季行动”(单位、人员、专项行动、任务和进度)。已载入时不做任何修改。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("只在数据库为空(没有单位、行动和非超级管理员用户)时载入,否则跳过。"),
        )
        parser.add_argument("--quiet", action="store_true", help=_("只在出错时输出。"))

    def handle(self, *args, **options):
        quiet = options["quiet"] or options["verbosity"] == 0
        try:
            summary = load_demo(if_empty=options["if_empty"])
        except DemoConflict as exc:
            raise CommandError(str(exc)) from exc
        if summary is None:
            if quiet:
                return
            if demo_exists():
                self.stdout.write(_("演示数据已存在(%(name)s),未作任何修改。") % {"name": CAMPAIGN_NAME})
            else:
                self.stdout.write(_("数据库中已有数据,未载入演示数据(--if-empty)。"))
            return
        if quiet:
            return
        self.stdout.write(self.style.SUCCESS(_("已载入演示数据:%(name)s。") % {"name": CAMPAIGN_NAME}))
        for label, count in summary.items():
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(_("演示账号(密码均为 %(password)s):") % {"password": DEMO_PASSWORD})
        for username, about in DEMO_ACCOUNTS[:MAIN_ACCOUNTS]:
            self.stdout.write(f"  {username:<10} {about}")
        self.stdout.write(
            _("另有 %(count)d 个账号(各领导、督导组和单位填报员),用 manage.py demo_accounts 列出。")
            % {"count": len(DEMO_ACCOUNTS) - MAIN_ACCOUNTS}
        )
