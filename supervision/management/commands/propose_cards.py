"""Propose today's red and yellow cards (the reminders schedule runs it daily; safe to run again)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from supervision.services import cards_propose


class Command(BaseCommand):
    help = "Propose the yellow and red cards due today (红黄牌); running it twice proposes nothing more."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="propose as of this day (YYYY-MM-DD) instead of today")

    def handle(self, *args, date=None, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        proposed = cards_propose(today=today)
        self.stdout.write(f"Proposed {proposed} card(s).")
