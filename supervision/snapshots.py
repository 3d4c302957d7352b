"""Weekly ranking snapshots (排名快照): the dashboard's ranking frozen once a week, so that the ranking can
show where each unit stood last week (▲ / ▼ on the dashboard, `previous_rank` in the API).

What is frozen: for every active campaign (status 进行中) and every region of it, the ranking exactly as
`supervision.dashboard.ranking` computes it with that region as the `county` filter, no viewer
(`user=None`: every task) and no special action. The regions of a campaign are the units of a region
kind (county, city, and province: a viewer's home region can be any of the three) at or above a unit
that leads at least one of its tasks, the lead unit itself included when it is a region: a county
campaign whose tasks are led by its townships and departments gets the county, its city and the
province above; a city campaign also every county with a task. Regions with nothing to rank get no
snapshot. A viewer's ranking is compared with the snapshot of the region it is about
(`dashboard.snapshot_scope`).

When: `week` is the Monday of `today`'s week and `taken_on` is `today`. The weekly job runs on Monday
early morning (Celery beat, or `manage.py snapshot_rankings`), so a week's snapshot records where the
units stood as that week began; during a week the ranking compares with the latest snapshot of an
earlier week.

Running again in the same week replaces that week's snapshots of the active campaigns, in one
transaction (delete, then insert): the latest run of a week is the week's snapshot, so a run after a
failed one, or after a correction of the data, puts it right, and the regions follow the tasks as they
are now. Earlier weeks never change, and a campaign that is no longer active keeps its snapshots. The
figures are those of `today` (`--date` sets the day the flags are computed for) over the rows as they
are now: there is no replay of history, so a date in the past is for re-running a missed week, not for
rebuilding old weeks.

Cost: two queries to find the regions, two per (campaign, region) for the rankings, then one delete and
two bulk inserts. A county campaign has a handful of regions; a province's a hundred or so, once a week.
"""

import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from tasks.models import REGION_KINDS, Campaign, CampaignStatus, Task, Unit

from .dashboard import ranked_groups, week_of
from .models import RankingPolicy, RankingSnapshot, RankingSnapshotRow

# The row's own columns; everything else the ranking says about a unit goes into `figures`.
ROW_COLUMNS = ("unit", "kind", "rank", "score")


class Taken(NamedTuple):
    week: datetime.date
    snapshots: int
    rows: int


def snapshot_regions(campaigns) -> dict[int, list[Unit]]:
    """{campaign id: its regions, outermost first}: regions at or above a unit leading one of its tasks.

    Two queries: the distinct (campaign, lead unit path) pairs, the region units among their ancestors.
    """
    pairs = (
        Task.objects.filter(campaign__in=campaigns)
        .order_by()
        .values_list("campaign", "lead_unit__path")
        .distinct()
    )
    above: dict[int, set[int]] = {}
    for campaign, path in pairs:
        above.setdefault(campaign, set()).update(int(part) for part in path.strip("/").split("/") if part)
    every = set().union(*above.values()) if above else set()
    regions = Unit.objects.filter(pk__in=every, kind__in=REGION_KINDS).in_bulk()
    return {
        campaign: sorted(
            (regions[pk] for pk in ids if pk in regions), key=lambda unit: (unit.depth, unit.path)
        )
        for campaign, ids in above.items()
    }


def snapshot_rankings(*, today: datetime.date | None = None) -> Taken:
    """Freeze this week's rankings of every active campaign in every region (see the module's docstring);
    returns the week and how many snapshots and rows were written."""
    today = today or timezone.localdate()
    week = week_of(today)
    campaigns = list(
        Campaign.objects.filter(status=CampaignStatus.ACTIVE).select_related("ranking_policy").order_by("pk")
    )
    now = timezone.now()
    snapshots: list[RankingSnapshot] = []
    rows: list[list[RankingSnapshotRow]] = []
    regions = snapshot_regions(campaigns)
    for campaign in campaigns:
        for region in regions.get(campaign.pk, []):
            policy = getattr(campaign, "ranking_policy", None) or RankingPolicy()
            groups = ranked_groups(None, campaign=campaign, county=region, today=today, policy=policy)
            # A unit with nothing to measure has no place (supervision/ranking.py): nothing to freeze.
            ranked = [row for group in groups for row in group["rows"] if row["rank"] is not None]
            if not ranked:
                continue
            snapshots.append(
                RankingSnapshot(campaign=campaign, scope=region, week=week, taken_on=today, taken_at=now)
            )
            rows.append(
                [
                    RankingSnapshotRow(
                        unit_id=row["unit"],
                        kind=row["kind"],
                        rank=row["rank"],
                        score=row["score"],
                        figures={key: value for key, value in row.items() if key not in ROW_COLUMNS},
                    )
                    for row in ranked
                ]
            )
    with transaction.atomic():
        RankingSnapshot.objects.filter(week=week, campaign__in=campaigns).delete()
        created = RankingSnapshot.objects.bulk_create(snapshots)
        for snapshot, its_rows in zip(created, rows, strict=True):
            for row in its_rows:
                row.snapshot = snapshot
        written = RankingSnapshotRow.objects.bulk_create([row for its_rows in rows for row in its_rows])
    return Taken(week=week, snapshots=len(created), rows=len(written))
