"""`python -m tests.benchmarks.import_preview`: how long the office waits for the preview of a large task list.

Run from the project's root with DATABASE_URL naming a migrated PostgreSQL database (docs/benchmarks.md);
the demo county is loaded first if the database does not have it. It builds a 1,000-row task list the
way a county office fills one (the demo's units by short or full name, each special action's cells
merged down, deadlines as real dates and as phrases like 12月底前 and 1月中旬, a few cells naming several
cooperating units, milestones), then, in a new empty campaign of the demo county, times

- `import_preview` of the file, `--samples` times (each plans every row and stores a batch): the median;
- `import_commit` of the last batch (1,000 tasks through the services, in one transaction), once;
- `import_preview` of the same file again (every row matched against the tasks just written), once;

and prints the figures. Everything it writes is rolled back at the end: the database is left as it was.
Target: the 1,000-row preview within 5 s. Exits 1 when the target is missed, or when the file does
not preview as 1,000 tasks to create without a problem.
"""

import argparse
import datetime
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 5.0

# Deadline phrases an office writes (read in the campaign's year; January is the next year).
PHRASES = ("12月15日前", "12月底前", "12月下旬", "1月中旬", "1月底前", "2026年12月20日", "12.25")
WORK = ("隐患排查", "专项整治", "入户走访", "督导检查", "台账建立", "问题整改", "宣传培训", "应急演练")
STEPS = ("完成摸排", "集中整治", "验收销号")


def build_rows(*, campaign, special_actions, units, count: int) -> tuple[list[list], list[str]]:
    """`count` data rows in the columns of tests/import_workbooks.HEADERS, and the ranges to merge."""
    rows, merges = [], []
    per_action = -(-count // len(special_actions))
    first_row = 2  # the header is row 1
    for index in range(count):
        action = special_actions[index // per_action]
        lead = units[index % len(units)]
        # Every seventh row names its lead unit by its full name, as a pasted list often does.
        lead_text = lead.full_name if index % 7 == 0 and lead.full_name else lead.name
        cooperating = ""
        if index % 5 == 0:
            others = [units[(index + k) % len(units)].name for k in (3, 11)]
            cooperating = ("、", ",", "\n")[index % 3].join(others)
        elif index % 5 == 1:
            cooperating = units[(index + 5) % len(units)].name
        if index % 3 == 0:
            deadline = campaign.start_date + datetime.timedelta(days=30 + index % 40)  # a real date cell
        else:
            deadline = PHRASES[index % len(PHRASES)]
        milestone = f"12月{10 + index % 5}日前 {STEPS[index % len(STEPS)]}" if index % 4 == 0 else ""
        first_of_action = index % per_action == 0
        rows.append(
            [
                index + 1,
                action if first_of_action else None,
                f"{lead.name}{WORK[index % len(WORK)]}第{index + 1}项",
                lead_text,
                cooperating,
                None,
                deadline,
                milestone,
            ]
        )
        if first_of_action:
            last = min(index + per_action, count) - 1
            if last > index:
                merges.append(f"B{first_row + index}:B{first_row + last}")
    return rows, merges


def page_timings(office, content: bytes, batch) -> dict[str, float]:
    """What the office waits for in the browser: the upload (POST, answered with the redirect to the
    preview) and the preview page with every row, through the test client (in-process, no network)."""
    from django.test import Client
    from django.urls import reverse

    from tests.import_workbooks import upload

    client = Client()
    client.force_login(office)
    client.get(reverse("office-import"))  # the session and the campaign, as a browser would have them
    started = time.perf_counter()
    response = client.post(reverse("office-import"), {"file": upload("导入基准.xlsx", content)})
    upload_seconds = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    started = time.perf_counter()
    response = client.get(reverse("office-import-detail", args=[batch.pk]))
    page_seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    print(
        f"upload page: {upload_seconds:.2f} s; preview page: {page_seconds:.2f} s ({len(response.content) // 1024} KiB)"
    )
    return {
        "POST /office/import/ (upload → redirect)": upload_seconds,
        "GET /office/import/<id>/ (preview page)": page_seconds,
    }


def configure() -> None:
    """Like the benchmark's server: DEBUG off (no query log), a real SECRET_KEY."""
    # The project's settings with the in-process test client's host allowed (tests/benchmarks/settings.py).
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.settings"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.import_preview", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=1000, help="data rows in the file (1000)")
    parser.add_argument("--samples", type=int, default=5, help="previews timed; the median is reported (5)")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL=postgres://…/<a migrated database>")
    configure()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # Pages render {% static %}: the plain storage, so no collectstatic manifest is needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    from django.core.management import call_command
    from django.db import transaction

    from tasks import services
    from tasks.demo.data import CAMPAIGN_NAME
    from tasks.demo.loader import demo_exists
    from tasks.imports import import_commit, import_preview
    from tasks.models import Campaign, Person, Unit, UnitKind
    from tests.import_workbooks import task_list_bytes, upload

    if not demo_exists():
        print("loading the demo county (manage.py load_demo) …", flush=True)
        call_command("load_demo", "--quiet")
    demo = Campaign.objects.select_related("owner").get(name=CAMPAIGN_NAME)
    office = Person.objects.get(username="office")
    units = list(
        Unit.objects.filter(
            path__startswith=demo.owner.path, kind__in=(UnitKind.DEPARTMENT, UnitKind.TOWNSHIP)
        ).order_by("path")
    )
    special_actions = list(demo.special_actions.order_by("sort_order", "id").values_list("name", flat=True))

    load = os.getloadavg()
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}, {os.cpu_count()} CPUs, "
        f"load {load[0]:.1f}; {len(units)} units, {len(special_actions)} special actions"
    )
    previews, commit_seconds, again_seconds, batch = [], None, None, None
    with transaction.atomic():
        campaign = services.campaign_create(
            owner=demo.owner,
            name=f"导入基准{secrets.token_hex(3)}",
            code="DR",
            start_date=demo.start_date,
            end_date=demo.end_date,
            by=office,
        )
        rows, merges = build_rows(
            campaign=campaign, special_actions=special_actions, units=units, count=args.rows
        )
        content = task_list_bytes(rows, merge=merges)
        print(f"file: {args.rows} rows, {len(merges)} merged ranges, {len(content) / 1024:.0f} KiB")
        for sample in range(args.samples):
            started = time.perf_counter()
            batch = import_preview(campaign=campaign, file=upload("导入基准.xlsx", content), by=office)
            previews.append(time.perf_counter() - started)
            print(f"  preview {sample + 1}: {previews[-1]:.2f} s", flush=True)
        counts = batch.preview["counts"]
        page_seconds = page_timings(office, content, batch)
        print(f"preview counts: {counts}; problems: {len(batch.preview['problems'])}")
        for problem in batch.preview["problems"][:5]:
            print(f"  {problem['message']}")
        if batch.can_commit:
            started = time.perf_counter()
            batch = import_commit(batch=batch, by=office)
            commit_seconds = time.perf_counter() - started
            print(f"commit: {commit_seconds:.2f} s ({campaign.tasks.count()} tasks written)")
            # The same file again: every row matched against the 1,000 tasks just written.
            started = time.perf_counter()
            again = import_preview(campaign=campaign, file=upload("导入基准.xlsx", content), by=office)
            again_seconds = time.perf_counter() - started
            print(f"preview again: {again_seconds:.2f} s, counts {again.preview['counts']}")
        transaction.set_rollback(True)  # leave the database as it was

    median = statistics.median(previews)
    met = median <= TARGET_SECONDS
    fit = counts.get("create") == args.rows and not batch.preview["problems"]
    print()
    print("| operation | rows | median | min | max | target | met |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| import_preview | {args.rows} | {median:.2f} s | {min(previews):.2f} s | {max(previews):.2f} s "
        f"| ≤ {TARGET_SECONDS:.0f} s | {'yes' if met else 'NO'} |"
    )
    for name, seconds in page_seconds.items():
        print(f"| {name} | {args.rows} | {seconds:.2f} s (once) | | | — | |")
    if commit_seconds is not None:
        print(f"| import_commit | {args.rows} | {commit_seconds:.2f} s (once) | | | — | |")
        print(f"| import_preview, same file again | {args.rows} | {again_seconds:.2f} s (once) | | | — | |")
    return 0 if met and fit else 1


if __name__ == "__main__":
    sys.exit(main())
