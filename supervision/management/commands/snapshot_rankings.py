"""Freeze this week's unit rankings (排名快照); the weekly schedule runs it on Monday early morning.

Running it again in the same week replaces that week's snapshots (see supervision/snapshots.py).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from supervision.snapshots import snapshot_rankings


class Command(BaseCommand):
    help = (
        "Freeze the rankings of every active campaign in every region for this week (排名快照); "
        "running it again in the same week replaces that week's snapshots."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="take the snapshot as of this day (YYYY-MM-DD) instead of today")

    def handle(self, *args, date=None, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        taken = snapshot_rankings(today=today)
        self.stdout.write(
            f"Week of {taken.week.isoformat()}: {taken.snapshots} snapshot(s), {taken.rows} row(s)."
        )
