"""manage.py scan_reminders [--date YYYY-MM-DD]: the day's reminders and their delivery, here and now.

For operators and tests: the same scan the beat schedule runs at REMINDER_SEND_TIME, then every
pending delivery sent in this process (no broker needed). Running it twice sends nothing twice.
"""

from django.core.management.base import BaseCommand

from supervision import outbox, reminders
from supervision.management.dates import add_date_argument


class Command(BaseCommand):
    help = "Scan for due-soon and overdue work and send the reminders now (idempotent per day)."

    def add_arguments(self, parser):
        add_date_argument(parser, "the day to scan for")

    def handle(self, *args, **options):
        result = reminders.scan(options["date"], publish=False)
        if not result["working_day"]:
            self.stdout.write(f"{result['day']}: not a working day, nothing sent")
            return
        sent = outbox.send_pending_now()
        self.stdout.write(
            f"{result['day']}: {result['notifications']} new reminders; "
            f"deliveries sent {sent['sent']}, failed {sent['failed']}, to retry {sent['retry']}"
        )
