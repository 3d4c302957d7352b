"""Freeze this week's unit rankings (排名快照); the weekly schedule runs it on Monday early morning.

Running it again in the same week replaces that week's snapshots (see supervision/snapshots.py).
"""

from django.core.management.base import BaseCommand

from supervision.management.dates import add_date_argument
from supervision.snapshots import snapshot_rankings


class Command(BaseCommand):
    help = (
        "Freeze the rankings of every active campaign in every region for this week (排名快照); "
        "running it again in the same week replaces that week's snapshots."
    )

    def add_arguments(self, parser):
        add_date_argument(parser, "take the snapshot as of this day")

    def handle(self, *args, date=None, **options):
        taken = snapshot_rankings(today=date)
        self.stdout.write(
            f"Week of {taken.week.isoformat()}: {taken.snapshots} snapshot(s), {taken.rows} row(s)."
        )
