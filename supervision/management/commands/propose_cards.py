"""Propose today's red and yellow cards (the reminders schedule runs it daily; safe to run again)."""

from django.core.management.base import BaseCommand

from supervision.management.dates import add_date_argument
from supervision.services import cards_propose


class Command(BaseCommand):
    help = "Propose the yellow and red cards due today (红黄牌); running it twice proposes nothing more."

    def add_arguments(self, parser):
        add_date_argument(parser, "propose as of this day")

    def handle(self, *args, date=None, **options):
        proposed = cards_propose(today=date)
        self.stdout.write(f"Proposed {proposed} card(s).")
