"""`python -m tests.benchmarks.run`: ours against the framework ceiling, on a generated province.

Run from the project's root with DATABASE_URL naming a PostgreSQL database that
`python -m tests.benchmarks.generate_scale` filled (docs/benchmarks.md). For each operation, in one process
and through one Django server (the test client, in-process: no network), it times

- ours, through the real URL (DRF, the ORM, our serializers), signed in with an API token;
- the hand-written minimal Django view of tests/benchmarks/minimal.py giving the same answer (raw SQL,
  json.dumps): the framework ceiling;
- the minimal view's SQL alone (the statements it ran, replayed through the same connection);

and prints one table: p50 and p95 of ours, p50 of the minimal view and of its SQL, the ratio, ours' query
count, and whether the target is met. The first sample of each runs cold (a new database connection and
an empty Django cache: PostgreSQL's shared buffers and the OS page cache stay as they are), the others
warm; both are reported. The reminder scan runs inside a transaction that is rolled back; task detail
throughput is measured with wrk against gunicorn (2 workers) serving ours and the minimal view.

Exits 1 when a target is missed, 2 when the database is not fit to run against.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.benchmarks.settings"
TARGETS = {
    "county summary": 1.5,
    "province summary": 1.5,
    "county ranking": 2.0,
    "task list": 2.0,
    "deep sync page": 1.5,
    "reminder scan": 2.0,
    "task detail, wrk": 0.40,
    "generate 1M tasks": 120.0,
}


def configure() -> None:
    """The benchmark's server runs like production: DEBUG off, a real SECRET_KEY. Throttling stays on
    (its cache round trip is part of what we measure) with a rate the benchmark cannot reach."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    for scope in ("TOKEN", "USER"):
        os.environ.setdefault(f"API_RATE_{scope}", "100000000/hour")


# ---- Samples ------------------------------------------------------------------------------------------


@dataclass
class Timing:
    cold: float | None = None
    warm: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.warm)

    @property
    def p95(self) -> float:
        ordered = sorted(self.warm)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Row:
    operation: str
    ours: Timing | None = None
    minimal: Timing | None = None
    raw: Timing | None = None
    ratio: float | None = None
    target: str = ""
    queries: str = ""
    met: bool | None = None
    note: str = ""
    unit: str = "ms"


def cold_start() -> None:
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    for cache in caches.all():
        cache.clear()


def sample(calls: dict, n: int) -> dict[str, Timing]:
    """Each call cold once (in turn), then n warm samples interleaved, so that whatever else the machine
    does weighs on all of them alike."""
    timings = {name: Timing() for name in calls}
    for name, call in calls.items():
        cold_start()
        started = time.perf_counter()
        call()
        timings[name].cold = time.perf_counter() - started
    for _ in range(n):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            timings[name].warm.append(time.perf_counter() - started)
    return timings


class Api:
    """The in-process client, without cookies (a script with a token keeps none)."""

    def __init__(self, token: str):
        from django.test import Client

        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Token {token}"}

    def get(self, url: str, expect: int = 200):
        self.client.cookies.clear()
        response = self.client.get(url, **self.auth)
        if response.status_code != expect:
            raise SystemExit(
                f"GET {url}: {response.status_code} (expected {expect}): {response.content[:300]!r}"
            )
        return response


def captured(call) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries]


def replay(statements: list[str]):
    """The minimal view's SQL alone: its statements, as executed, through the same connection."""
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()

    return run


def same_answer(ours, minimal) -> bool:
    text = minimal.content.decode().replace("/bench/min/", "/api/v1/")
    return json.loads(ours.content) == json.loads(text)


# ---- The database -------------------------------------------------------------------------------------


def preflight(args) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor != "postgresql":
        raise SystemExit("DATABASE_URL must name the PostgreSQL database generate_scale filled")
    plan = MigrationExecutor(connection).migration_plan(
        MigrationExecutor(connection).loader.graph.leaf_nodes()
    )
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        print(
            f"The database is not fully migrated ({names} …): run manage.py migrate first.", file=sys.stderr
        )
        raise SystemExit(2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tasks_task")
        [tasks] = cursor.fetchone()
        if tasks < 1000:
            print(
                f"{tasks} tasks: generate a province first (python -m tests.benchmarks.generate_scale).",
                file=sys.stderr,
            )
            raise SystemExit(2)
        # Fresh statistics and a visibility map (index-only scans): VACUUM (ANALYZE) when either is stale.
        cursor.execute(
            """SELECT c.relname, c.relallvisible::float / greatest(c.relpages, 1),
                      s.n_mod_since_analyze::float / greatest(s.n_live_tup, 1)
                 FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
                WHERE c.relname IN ('tasks_task', 'tasks_taskevent', 'tasks_progressreport',
                                    'tasks_taskcooperation', 'tasks_unit', 'supervision_supervisionorder')"""
        )
        stale = [name for name, visible, modified in cursor.fetchall() if visible < 0.9 or modified > 0.05]
        if stale and not args.no_vacuum:
            print(f"VACUUM (ANALYZE) {', '.join(stale)} (statistics or visibility map stale) …", flush=True)
            for name in stale:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(name)}")
    print(f"{tasks:,} tasks", flush=True)


def server_settings() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        [version] = cursor.fetchone()
        values = []
        for name in (
            "shared_buffers",
            "work_mem",
            "jit",
            "max_parallel_workers_per_gather",
            "random_page_cost",
        ):
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return f"PostgreSQL {version.split()[0]} ({', '.join(values)})"


@dataclass
class World:
    county_user: object
    province_user: object
    county_token: str
    province_token: str
    county: object  # the county office's home region
    county_task: int  # a task in that county, for the detail


@contextlib.contextmanager
def world(args):
    """Tokens for a county office and the province office; deleted again at the end, with the sessions
    the requests left behind."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from tasks import services
    from tasks.models import ApiToken, Person, Task
    from tasks.selectors import access_for

    started = timezone.now()
    county_user = Person.objects.get(username=args.county_user)
    province_user = Person.objects.get(username=args.province_user)
    name = f"benchmark {secrets.token_hex(4)}"
    tokens = [
        services.token_create(user=user, by=user, name=name)[1] for user in (county_user, province_user)
    ]
    county = access_for(county_user).region
    task = (
        Task.objects.filter(lead_unit__path__startswith=county.path)
        .order_by("id")
        .values_list("id", flat=True)
    )
    try:
        yield World(county_user, province_user, *tokens, county, task[len(task) // 2])
    finally:
        ApiToken.objects.filter(name=name).delete()
        from django.conf import settings

        # Sessions that token requests opened (see the report: the idle-timeout middleware saves one).
        fresh = started + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)
        left = Session.objects.filter(expire_date__gte=fresh).delete()[0]
        if left:
            print(f"(deleted {left} sessions written by token requests during the run)")


# ---- Operations ---------------------------------------------------------------------------------------


def http_row(name, ours_url, minimal_url, api: Api, n: int, target: float) -> Row:
    ours, minimal = api.get(ours_url), api.get(minimal_url)
    if not same_answer(ours, minimal):
        raise SystemExit(f"{name}: the minimal view's answer differs from ours ({ours_url})")
    queries = captured(lambda: api.get(ours_url))
    statements = captured(lambda: api.get(minimal_url))
    timings = sample(
        {
            "ours": lambda: api.get(ours_url),
            "minimal": lambda: api.get(minimal_url),
            "raw": replay(statements),
        },
        n,
    )
    ratio = timings["ours"].p50 / timings["minimal"].p50
    return Row(
        name,
        timings["ours"],
        timings["minimal"],
        timings["raw"],
        ratio,
        f"≤ {target}× minimal",
        str(len(queries)),
        ratio <= target,
    )


def task_list_row(w: World, api: Api, n: int) -> Row:
    base = f"county={w.county.pk}&overdue=true&ordering=deadline"
    row = http_row(
        "task list",
        f"/api/v1/tasks/?{base}&page_size=50",
        f"/bench/min/tasks/?{base}&page_size=50",
        api,
        n,
        2.0,
    )
    counts = {
        size: len(captured(lambda s=size: api.get(f"/api/v1/tasks/?{base}&page_size={s}")))
        for size in (10, 50, 200)
    }
    same = len(set(counts.values())) == 1
    row.queries = "/".join(str(c) for c in counts.values()) + " (10/50/200)"
    row.target += ", same queries"
    row.met = row.met and same
    return row


def deep_page_row(w: World, api: Api, n: int) -> Row:
    """The sync cursor 100,000 rows into the province office's task list, against its first page."""
    from django.conf import settings
    from django.utils import timezone

    from tasks.models import Task
    from tasks.selectors import access_for
    from winteraction.api.pagination import encode_cursor

    settled = timezone.now() - datetime.timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)
    rows = Task.objects.filter(access_for(w.province_user).task_q(), updated_at__lte=settled)
    at, pk = rows.order_by("updated_at", "id").values_list("updated_at", "id")[99_999]
    cursor = encode_cursor(at, pk)
    first, deep, minimal = (
        "/api/v1/tasks/?sync=true",
        f"/api/v1/tasks/?cursor={cursor}",
        f"/bench/min/tasks/?cursor={cursor}",
    )
    ours_deep, minimal_deep = api.get(deep), api.get(minimal)
    if not same_answer(ours_deep, minimal_deep):
        raise SystemExit("deep sync page: the minimal view's answer differs from ours")
    queries = captured(lambda: api.get(deep))
    statements = captured(lambda: api.get(minimal))
    timings = sample(
        {
            "first": lambda: api.get(first),
            "ours": lambda: api.get(deep),
            "minimal": lambda: api.get(minimal),
            "raw": replay(statements),
        },
        n,
    )
    ratio = timings["ours"].p50 / timings["first"].p50
    return Row(
        "deep sync page",
        timings["ours"],
        timings["minimal"],
        timings["raw"],
        ratio,
        "≤ 1.5× first page",
        str(len(queries)),
        ratio <= 1.5,
        note=f"first page p50 {timings['first'].p50 * 1000:.1f} ms; deep page ÷ minimal "
        f"{timings['ours'].p50 / timings['minimal'].p50:.2f}×",
    )


class Rollback(Exception):
    pass


def scan_day() -> datetime.date:
    """The first working day on which a quarter of the tasks are overdue (their status frozen as
    generated): the scan's worst ordinary day."""
    from django.db import connection, transaction
    from django.utils import timezone

    from supervision import workdays

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT deadline, sum(count(*)) OVER (ORDER BY deadline), (SELECT count(*) FROM tasks_task)
                 FROM tasks_task WHERE status IN ('not_started', 'in_progress') GROUP BY deadline ORDER BY deadline"""
        )
        rows = cursor.fetchall()
    day = timezone.localdate()
    for deadline, overdue, total in rows:
        if overdue >= total / 4:
            day = max(day, deadline + datetime.timedelta(days=1))
            break
    try:
        with transaction.atomic():  # the calendar fills its year on first use: leave nothing behind
            while not workdays.is_working_day(day):
                day += datetime.timedelta(days=1)
            raise Rollback
    except Rollback:
        pass
    return day


def scan_once(which: str, day: datetime.date) -> tuple[float, float, int, int, tuple]:
    """One scan (ours or by hand) and a second one the same day, in a transaction rolled back afterwards.
    Returns the seconds of each, the notifications each inserted, and a digest of the rows made."""
    from django.db import connection, transaction

    from supervision import reminders

    from . import minimal

    def run() -> int:
        if which == "ours":
            return reminders.scan(day, publish=False)["notifications"]
        return minimal.scan_by_hand(day)

    result = None
    try:
        with transaction.atomic():
            started = time.perf_counter()
            first = run()
            first_seconds = time.perf_counter() - started
            started = time.perf_counter()
            second = run()
            second_seconds = time.perf_counter() - started
            digest = minimal.scan_digest(day)
            result = (first_seconds, second_seconds, first, second, digest)
            raise Rollback
    except Rollback:
        pass
    with connection.cursor() as cursor:  # the rolled-back rows are dead tuples: clear them for the next run
        for table in (
            "supervision_notification",
            "supervision_inboxitem",
            "supervision_delivery",
            "supervision_reminderpolicy",
        ):
            cursor.execute(f"VACUUM {table}")
    return result


def scan_row(n: int) -> Row:
    day = scan_day()
    ours, hand = Timing(), Timing()
    seconds = {"ours": [], "hand": []}
    results = {}
    for i in range(n):
        for which, timing in (("ours", ours), ("hand", hand)):
            if i == 0:
                cold_start()
            first, second, inserted, again, digest = scan_once(which, day)
            if i == 0:
                timing.cold = first
            else:
                timing.warm.append(first)
            seconds[which].append(second)
            results[which] = (inserted, again, digest)
    for timing in (ours, hand):
        if not timing.warm:  # one sample only: the cold one is all there is
            timing.warm.append(timing.cold)
    same = results["ours"][2] == results["hand"][2]
    nothing_again = results["ours"][1] == 0 and results["hand"][1] == 0
    ratio = ours.p50 / hand.p50
    counts = [d[0] for d in results["ours"][2]]
    return Row(
        "reminder scan",
        ours,
        hand,
        None,
        ratio,
        "≤ 2× by hand, same rows, 2nd run 0",
        "",
        ratio <= 2.0 and same and nothing_again,
        note=f"day {day}: {counts[0]:,} notifications, {counts[1]:,} inbox items, {counts[2]:,} deliveries; "
        f"same rows as by hand: {'yes' if same else 'NO'}; second run inserted {results['ours'][1]} "
        f"(ours, {statistics.median(seconds['ours']):.1f} s) and {results['hand'][1]} "
        f"(by hand, {statistics.median(seconds['hand']):.1f} s)",
        unit="s",
    )


# ---- Throughput: wrk against gunicorn ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, token: str, seconds: int) -> tuple[float, int, str]:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", f"Authorization: Token {token}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return rate, errors, out


def throughput_row(w: World, seconds: int) -> Row:
    if shutil.which("wrk") is None:
        return Row(
            "task detail, wrk", note="wrk is not installed (apt-get install wrk): not measured", unit="req/s"
        )
    port = free_port()
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SETTINGS_MODULE": SETTINGS}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "winteraction.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    paths = {"ours": f"/api/v1/tasks/{w.county_task}/", "minimal": f"/bench/min/tasks/{w.county_task}/"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    base + paths["minimal"], headers={"Authorization": f"Token {w.county_token}"}
                )
                urllib.request.urlopen(request, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        results = {}
        for name in ("minimal", "ours"):
            wrk(base + paths[name], w.county_token, 3)  # warm both workers up
            results[name] = wrk(base + paths[name], w.county_token, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    (ours, ours_errors, _), (minimal, minimal_errors, _) = results["ours"], results["minimal"]
    ratio = ours / minimal
    return Row(
        "task detail, wrk",
        Timing(warm=[ours]),
        Timing(warm=[minimal]),
        None,
        ratio,
        "≥ 40% of minimal, 0 errors",
        "",
        ratio >= 0.40 and ours_errors == 0,
        note=f"gunicorn 2 workers, wrk 2 threads, 16 connections, {seconds} s each; errors: ours {ours_errors}, "
        f"minimal {minimal_errors}",
        unit="req/s",
    )


def generate_row(args) -> Row:
    """generate_scale into a scratch database (created, migrated, timed, dropped)."""
    if not args.generate:
        return Row(
            "generate 1M tasks",
            target="≤ 120 s",
            note="not run (--generate runs it into a scratch database)",
            unit="s",
        )
    from django.db import connection

    settings = connection.settings_dict
    scratch = f"{settings['NAME']}_generate"
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + scratch
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "winteraction.settings"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {scratch}")
        cursor.execute(f"CREATE DATABASE {scratch}")
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
        started = time.perf_counter()
        generate = [sys.executable, "-m", "tests.benchmarks.generate_scale"]
        subprocess.run(
            [*generate, "--counties", "100", "--tasks-per-county", "10000", "--seed", "1"],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {scratch}")
    return Row("generate 1M tasks", Timing(warm=[seconds]), target="≤ 120 s", met=seconds <= 120, unit="s")


# ---- EXPLAIN of the task list's filters --------------------------------------------------------------------


def explain_filters(w: World, api_for: dict, full: bool) -> list[str]:
    """EXPLAIN ANALYZE of the task list's count and page for each filter the UI offers, for the county
    office and the province office; a sequential scan on tasks_task is flagged."""
    from django.db import connection

    from tasks.models import SpecialAction

    action = SpecialAction.objects.filter(campaign__owner=w.county).order_by("id").first()
    filters = {
        "county subtree": f"county={w.county.pk}",
        "overdue": "overdue=true",
        "status": "status=in_progress",
        "special action": f"special_action={action.pk}",
        "due soon": "due_soon=true",
    }
    flagged = []
    print("\nEXPLAIN (ANALYZE) of the task list (page of 50 and its count), by filter:")
    for viewer, api in api_for.items():
        for label, query in filters.items():
            statements = [
                sql
                for sql in captured(lambda q=query, a=api: a.get(f"/api/v1/tasks/?{q}&page_size=50"))
                if 'FROM "tasks_task"' in sql
            ]
            for sql in statements:
                kind = "count" if sql.lstrip().upper().startswith("SELECT COUNT") else "page"
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                    [[plan]] = cursor.fetchone()
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
                    text = [line for (line,) in cursor.fetchall()]
                scans = list(task_scans(plan["Plan"]))
                seq = any(node == "Seq Scan" for node, _index in scans)
                used = ", ".join(sorted({index or node for node, index in scans}))
                mark = "SEQ SCAN on tasks_task" if seq else "ok"
                print(
                    f"  {viewer:8s} {label:15s} {kind:5s} {plan['Execution Time']:8.1f} ms  {mark:22s} {used}"
                )
                if seq:
                    flagged.append(f"{viewer} {label} {kind}")
                if full or seq:
                    print("      " + "\n      ".join(text))
    return flagged


def task_scans(node):
    if node.get("Relation Name") == "tasks_task":
        yield node["Node Type"], node.get("Index Name")
    for child in node.get("Plans", ()):
        yield from task_scans(child)


# ---- The table ------------------------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value * 1000:.1f}"
    if unit == "s":
        return f"{value:.1f} s"
    return f"{value:,.0f}/s"


def table(rows: list[Row]) -> str:
    header = [
        "operation",
        "ours p50",
        "ours p95",
        "ours cold",
        "minimal p50",
        "minimal cold",
        "raw SQL p50",
        "ours/minimal",
        "target",
        "queries",
        "met",
    ]
    lines = []
    for r in rows:
        met = "—" if r.met is None else ("yes" if r.met else "NO")
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}×" if r.unit != "req/s" else f"{r.ratio:.1%}"
        lines.append(
            [
                r.operation,
                fmt(r.ours.p50 if r.ours and r.ours.warm else None, r.unit),
                fmt(r.ours.p95 if r.ours and len(r.ours.warm) > 1 else None, r.unit),
                fmt(r.ours.cold if r.ours else None, r.unit),
                fmt(r.minimal.p50 if r.minimal and r.minimal.warm else None, r.unit),
                fmt(r.minimal.cold if r.minimal else None, r.unit),
                fmt(r.raw.p50 if r.raw else None, r.unit),
                ratio,
                r.target,
                r.queries,
                met,
            ]
        )
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(width) for c, width in zip(cells, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    out += [line(cells) for cells in lines]
    notes = [f"- {r.operation}: {r.note}" for r in rows if r.note]
    return "\n".join([*out, "", *notes])


# ---- Main -------------------------------------------------------------------------------------------------

OPERATIONS = (
    "county summary",
    "province summary",
    "county ranking",
    "task list",
    "deep sync page",
    "reminder scan",
    "wrk",
    "generate",
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--samples", type=int, default=30, help="warm samples of each fast operation (30)")
    parser.add_argument(
        "--slow-samples", type=int, default=8, help="warm samples of the province summary (8)"
    )
    parser.add_argument(
        "--scan-samples", type=int, default=2, help="reminder scans of each kind, the first cold (2)"
    )
    parser.add_argument("--wrk-seconds", type=int, default=30, help="seconds of wrk per view (30)")
    parser.add_argument("--only", action="append", choices=OPERATIONS, help="run only these (repeatable)")
    parser.add_argument(
        "--generate", action="store_true", help="also time generate_scale into a scratch database"
    )
    parser.add_argument(
        "--plans", action="store_true", help="print every EXPLAIN in full, not only flagged ones"
    )
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--no-vacuum", action="store_true", help="do not VACUUM (ANALYZE) stale tables first")
    parser.add_argument("--county-user", default="x001_office")
    parser.add_argument("--province-user", default="prov_office")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL=postgres://…/<the generated database>")
    configure()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    only = set(args.only or OPERATIONS)
    preflight(args)
    load = os.getloadavg()
    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M} on {platform.node()}, {os.cpu_count()} CPUs, load {load[0]:.1f}"
    )
    print(server_settings(), flush=True)
    rows: list[Row] = []
    flagged: list[str] = []
    with world(args) as w:
        county, province = Api(w.county_token), Api(w.province_token)
        n = args.samples
        if "county summary" in only:
            rows.append(
                http_row(
                    "county summary",
                    "/api/v1/dashboard/summary/",
                    "/bench/min/dashboard/summary/",
                    county,
                    n,
                    1.5,
                )
            )
        if "province summary" in only:
            rows.append(
                http_row(
                    "province summary",
                    "/api/v1/dashboard/summary/",
                    "/bench/min/dashboard/summary/",
                    province,
                    args.slow_samples,
                    1.5,
                )
            )
        if "county ranking" in only:
            rows.append(
                http_row(
                    "county ranking",
                    "/api/v1/dashboard/ranking/",
                    "/bench/min/dashboard/ranking/",
                    county,
                    n,
                    2.0,
                )
            )
        if "task list" in only:
            rows.append(task_list_row(w, province, n))
        if "deep sync page" in only:
            rows.append(deep_page_row(w, province, n))
        if not args.no_explain:
            flagged = explain_filters(w, {"county": county, "province": province}, args.plans)
        if "reminder scan" in only:
            print("\nreminder scan …", flush=True)
            rows.append(scan_row(args.scan_samples))
        if "wrk" in only:
            print("wrk …", flush=True)
            rows.append(throughput_row(w, args.wrk_seconds))
        if "generate" in only:
            rows.append(generate_row(args))
    load_after = os.getloadavg()
    print(
        f"\nResults (times in ms unless marked; load average {load[0]:.1f} before, {load_after[0]:.1f} after):\n"
    )
    print(table(rows))
    if flagged:
        print(f"\nSequential scans on tasks_task: {'; '.join(flagged)}")
    missed = [r.operation for r in rows if r.met is False]
    if missed:
        print(f"\nMissed: {', '.join(missed)}")
    return 1 if missed or flagged else 0


if __name__ == "__main__":
    sys.exit(main())
