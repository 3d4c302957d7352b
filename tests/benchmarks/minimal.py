"""The framework ceiling: hand-written minimal Django views that give the same answers as ours.

For each operation tests/benchmarks/run.py measures there is a plain Django view here: raw SQL through
`django.db.connection`, dicts and `json.dumps`; no DRF, no ORM, no serializers. Each applies the caller's
scope the way ours does (tasks/selectors.py `access_for`, `Access.task_q`; supervision/dashboard.py
`scoped_orders`), rewritten as SQL, so that the rows are the same. tests/benchmarks/test_minimal_views.py
holds every view to our answer on a small world, so that the comparison stays honest.

The SQL is what one would write by hand for the job, with the same indexes as ours and the fewest round
trips: the caller, their scope and the filters' units in one statement, then one statement per answer.

Only what the benchmark asks for is here: the dashboard's summary and ranking without filters; the task
list filtered by `county` and `overdue`, in the default or `deadline` order, by page numbers or by the
sync cursor; one task. Any other parameter answers 400 rather than a wrong answer. The reminder scan by
hand (`scan_by_hand`) is at the end: INSERT … SELECT … ON CONFLICT DO NOTHING, rule by rule.

Mounted only by tests/benchmarks/urls.py, never by the project's URLs.
"""

import base64
import datetime
import hashlib
import json
import zoneinfo
from dataclasses import dataclass
from urllib import parse

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tasks.models import TaskStatus, UnitKind

RUNNING = ("not_started", "in_progress")
LOCAL = "Asia/Shanghai"


def respond(body, status=200, headers=None) -> HttpResponse:
    # The same bytes as DRF's JSONRenderer: compact, UTF-8.
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(text, status=status, content_type="application/json", headers=headers)


def problem(status: int, detail: str) -> HttpResponse:
    return respond({"detail": detail}, status=status)


# ---- The caller and their scope: one statement --------------------------------------------------------

# Token → person → home region (the nearest county, city or province at or above their unit) → the
# scopes of their active supervision groups (a path with no special-action limit in some group is
# read whole), and the paths of the units the filters name.
VIEWER_SQL = """
SELECT p.id, p.is_superuser, p.unit_id,
  (SELECT r.path FROM tasks_unit r
    WHERE r.id = ANY (string_to_array(btrim(u.path, '/'), '/')::bigint[])
      AND r.kind IN ('province', 'city', 'county')
    ORDER BY r.depth DESC LIMIT 1),
  (SELECT json_agg(json_build_array(s.path, s.actions) ORDER BY s.path) FROM (
     SELECT su.path,
            CASE WHEN bool_or(a.specialaction_id IS NULL) THEN NULL
                 ELSE array_agg(DISTINCT a.specialaction_id) END AS actions
       FROM supervision_supervisiongroup_members m
       JOIN supervision_supervisiongroup g ON g.id = m.supervisiongroup_id AND g.is_active
       JOIN supervision_supervisiongroup_scope_units gs ON gs.supervisiongroup_id = g.id
       JOIN tasks_unit su ON su.id = gs.unit_id
       LEFT JOIN supervision_supervisiongroup_scope_special_actions a ON a.supervisiongroup_id = g.id
      WHERE m.person_id = p.id AND p.role IN ('inspector', 'office', 'leader')
      GROUP BY su.path) s),
  (SELECT f.path FROM tasks_unit f WHERE f.id = %s)
FROM tasks_apitoken t
JOIN tasks_person p ON p.id = t.user_id
LEFT JOIN tasks_unit u ON u.id = p.unit_id
WHERE t.digest = %s AND t.revoked_at IS NULL AND p.is_active
  AND (t.expires_at IS NULL OR t.expires_at > now())
"""


@dataclass(frozen=True)
class Viewer:
    person: int
    everything: bool
    whole: tuple[str, ...]  # subtrees read whole: the home region, group scopes without limits
    limited: tuple[tuple[str, tuple[int, ...]], ...]  # (subtree, the special actions read there)
    unit_path: str | None  # the path of the unit a filter named, if any

    def task_scope(self, task: str = "t", unit: str = "lu") -> tuple[str, list]:
        """A condition on tasks `task` joined to their lead unit `unit`."""
        if self.everything:
            return "TRUE", []
        parts, params = [], []
        for path in self.whole:
            parts.append(f"{unit}.path LIKE %s")
            params.append(path + "%")
        for path, actions in self.limited:
            parts.append(f"({unit}.path LIKE %s AND {task}.special_action_id = ANY(%s))")
            params += [path + "%", list(actions)]
        return ("(" + " OR ".join(parts) + ")" if parts else "FALSE"), params

    def order_scope(self, unit: str = "ou") -> tuple[str, list]:
        """Orders addressed to a unit in any of the viewer's subtrees (special-action limits aside), or
        issued by one of the viewer's groups."""
        if self.everything:
            return "TRUE", []
        paths = [*self.whole, *(path for path, _actions in self.limited)]
        mine = (
            "o.group_id IN (SELECT m.supervisiongroup_id"
            " FROM supervision_supervisiongroup_members m WHERE m.person_id = %s)"
        )
        clauses = [*(f"{unit}.path LIKE %s" for _p in paths), mine]
        return "(" + " OR ".join(clauses) + ")", [*(p + "%" for p in paths), self.person]


def viewer_for(request, unit_id=None) -> Viewer | None:
    """The token's holder (None: no valid token), with the path of `unit_id` if given."""
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0].lower() not in ("token", "bearer"):
        return None
    digest = hashlib.sha256(header[1].encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(VIEWER_SQL, [unit_id, digest])
        row = cursor.fetchone()
    if row is None:
        return None
    person, superuser, unit, region, scopes, unit_path = row
    if superuser:
        return Viewer(person, True, (), (), unit_path)
    if unit is None:
        return Viewer(person, False, (), (), unit_path)
    whole = [region] if region else []
    limited = []
    for path, actions in scopes or []:
        if actions is None:
            whole.append(path)
        else:
            limited.append((path, tuple(sorted(actions))))
    return Viewer(person, False, tuple(whole), tuple(limited), unit_path)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _figures(today: datetime.date) -> dict:
    """Parameters shared by the dashboard statements."""
    last_allowed = today - datetime.timedelta(days=7)  # tasks.selectors.REPORT_INTERVAL_DAYS
    boundary = timezone.make_aware(
        datetime.datetime.combine(last_allowed + datetime.timedelta(days=1), datetime.time.min)
    )
    return {
        "today": today,
        "horizon": today + datetime.timedelta(days=settings.WINTERACTION_DUE_SOON_DAYS),
        "points": settings.WINTERACTION_BEHIND_POINTS,
        "last_allowed": last_allowed,
        "boundary": boundary,
    }


# The task figures of supervision/dashboard.py: on time is "the last close-out request was made on or
# before the deadline day", the latest request found by one probe of the close-request index.
OVERDUE = "t.status IN ('not_started', 'in_progress') AND t.deadline < %(today)s"
TASK_FIGURES = f"""
    count(*) AS tasks,
    count(*) FILTER (WHERE t.status = 'closed') AS closed,
    count(*) FILTER (WHERE t.status = 'cancelled') AS cancelled,
    count(*) FILTER (WHERE t.status = 'in_progress') AS in_progress,
    count(*) FILTER (WHERE {OVERDUE}) AS overdue,
    coalesce(sum(%(today)s - t.deadline) FILTER (WHERE {OVERDUE}), 0) AS overdue_days,
    count(*) FILTER (WHERE t.status = 'closed' AND
        (SELECT (max(e.at) AT TIME ZONE '{LOCAL}')::date FROM tasks_taskevent e
          WHERE e.task_id = t.id AND e.kind = 'close_requested') <= t.deadline) AS on_time"""


# ---- Dashboard summary --------------------------------------------------------------------------------

SUMMARY_SQL = f"""
WITH tasks AS (
  SELECT {TASK_FIGURES},
    count(*) FILTER (WHERE t.status = 'not_started') AS not_started,
    count(*) FILTER (WHERE t.status = 'awaiting_close') AS awaiting_close,
    count(*) FILTER (WHERE t.status IN ('not_started', 'in_progress')
                       AND t.deadline BETWEEN %(today)s AND %(horizon)s) AS due_soon,
    count(*) FILTER (WHERE t.status IN ('not_started', 'in_progress') AND t.start_date < %(today)s AND (
        (t.deadline > %(today)s
         AND (t.progress + %(points)s) * (t.deadline - t.start_date) < 100 * (%(today)s - t.start_date))
        OR (t.deadline <= %(today)s AND t.progress < 100 - %(points)s))) AS behind
  FROM tasks_task t JOIN tasks_unit lu ON lu.id = t.lead_unit_id
  WHERE {{task_scope}}
), orders AS (
  SELECT count(*) FILTER (WHERE o.status <> 'closed') AS open_orders,
         count(*) FILTER (WHERE o.status <> 'closed' AND o.deadline < %(today)s) AS overdue_orders
  FROM supervision_supervisionorder o JOIN tasks_unit ou ON ou.id = o.unit_id
  WHERE {{order_scope}}
)
SELECT * FROM tasks, orders
"""


def _named(condition: str, params: list, prefix: str) -> tuple[str, dict]:
    """`%s` placeholders → named ones, so that a scope condition can sit in a statement with names."""
    names = {}
    for i, value in enumerate(params):
        names[f"{prefix}{i}"] = value
        condition = condition.replace("%s", f"%({prefix}{i})s", 1)
    return condition, names


def dashboard_summary(request):
    if request.GET:
        return problem(400, "minimal view: no filters")
    viewer = viewer_for(request)
    if viewer is None:
        return problem(401, "no valid token")
    today = timezone.localdate()
    task_scope, task_params = _named(*viewer.task_scope(), "ts")
    order_scope, order_params = _named(*viewer.order_scope(), "os")
    with connection.cursor() as cursor:
        cursor.execute(
            SUMMARY_SQL.format(task_scope=task_scope, order_scope=order_scope),
            {**_figures(today), **task_params, **order_params},
        )
        names = [c.name for c in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    return respond(
        {
            "today": today.isoformat(),
            **{name: row[name] for name in SUMMARY_FIELDS},
            "completion_rate": _rate(row["closed"], row["tasks"] - row["cancelled"]),
            "on_time_rate": _rate(row["on_time"], row["closed"] + row["overdue"]),
        }
    )


SUMMARY_FIELDS = (
    "tasks",
    "not_started",
    "in_progress",
    "awaiting_close",
    "closed",
    "cancelled",
    "overdue",
    "overdue_days",
    "due_soon",
    "behind",
    "on_time",
    "open_orders",
    "overdue_orders",
)


# ---- Dashboard ranking --------------------------------------------------------------------------------

# Report timeliness: in progress, and the lead unit's last report is recent (or there is none yet and
# the task started less than a week ago): one probe of the report index per task in progress.
RANKING_SQL = f"""
WITH ranked AS (
  SELECT t.lead_unit_id AS unit, lu.name, lu.kind, {TASK_FIGURES},
    count(*) FILTER (WHERE t.status = 'in_progress' AND coalesce(
        (SELECT max(r.submitted_at) FROM tasks_progressreport r
          WHERE r.task_id = t.id AND r.unit_id = t.lead_unit_id) >= %(boundary)s,
        t.start_date > %(last_allowed)s)) AS reported,
    coalesce(sum((SELECT count(*) FROM tasks_taskevent e
                   WHERE e.task_id = t.id AND e.kind = 'returned')), 0)::int AS returned
  FROM tasks_task t JOIN tasks_unit lu ON lu.id = t.lead_unit_id
  WHERE {{task_scope}}
  GROUP BY t.lead_unit_id, lu.name, lu.kind
), orders AS (
  SELECT o.unit_id AS unit,
         count(*) FILTER (WHERE o.status <> 'closed') AS open_orders,
         count(*) FILTER (WHERE o.status <> 'closed' AND o.deadline < %(today)s) AS overdue_orders
  FROM supervision_supervisionorder o JOIN tasks_unit ou ON ou.id = o.unit_id
  WHERE {{order_scope}}
  GROUP BY o.unit_id
), cards AS (
  SELECT c.unit_id AS unit, array_agg(DISTINCT c.kind) AS kinds
  FROM supervision_card c
  WHERE c.status = 'issued' AND c.unit_id IN (SELECT unit FROM ranked)
  GROUP BY c.unit_id
)
SELECT ranked.*, coalesce(orders.open_orders, 0) AS open_orders,
       coalesce(orders.overdue_orders, 0) AS overdue_orders, cards.kinds
FROM ranked LEFT JOIN orders USING (unit) LEFT JOIN cards USING (unit)
"""


# The default ranking policy (no campaign filter here): weights of the rates, points per penalty.
DEFAULT_POLICY = {
    "on_time_rate": 50,
    "timeliness": 30,
    "completion_rate": 20,
    "overdue": 3,
    "returned": 2,
    "overdue_orders": 2,
}
RATE_LABELS = (("on_time_rate", "按期完成率"), ("timeliness", "填报及时率"), ("completion_rate", "完成率"))
PENALTY_LABELS = (("overdue", "逾期任务数"), ("returned", "销号退回次数"), ("overdue_orders", "逾期督办单数"))


def _score(weights, rates, counts):
    """Empty rates left out, the others' weights scaled to 100; None with nothing to measure."""
    measured = [(value / 100, weights[key]) for key, value in rates.items() if value is not None]
    total = sum(weight for _share, weight in measured)
    if not total:
        return None
    base = 100 * sum(share * weight for share, weight in measured) / total
    return round(base - sum(weights[key] * count for key, count in counts.items()), 1)


def _places(members):
    scored = sorted(
        (r for r in members if r["score"] is not None),
        key=lambda r: (-r["score"], r["overdue"], r["name"], r["unit"]),
    )
    unscored = sorted((r for r in members if r["score"] is None), key=lambda r: (r["name"], r["unit"]))
    scores = [r["score"] for r in scored]
    for item in scored:
        item["rank"] = 1 + sum(other > item["score"] for other in scores)
        item["tied"] = scores.count(item["score"]) > 1
    for item in unscored:
        item["rank"], item["tied"] = None, False
    return scored + unscored


def dashboard_ranking(request):
    if request.GET:
        return problem(400, "minimal view: no filters")
    viewer = viewer_for(request)
    if viewer is None:
        return problem(401, "no valid token")
    today = timezone.localdate()
    weights = dict(DEFAULT_POLICY)
    task_scope, task_params = _named(*viewer.task_scope(), "ts")
    order_scope, order_params = _named(*viewer.order_scope(), "os")
    with connection.cursor() as cursor:
        cursor.execute(
            RANKING_SQL.format(task_scope=task_scope, order_scope=order_scope),
            {**_figures(today), **task_params, **order_params},
        )
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    groups: dict[str, list] = {}
    for row in rows:
        on_time_rate = _rate(row["on_time"], row["closed"] + row["overdue"])
        timeliness = _rate(row["reported"], row["in_progress"])
        completion_rate = _rate(row["closed"], row["tasks"] - row["cancelled"])
        score = _score(
            weights,
            {"on_time_rate": on_time_rate, "timeliness": timeliness, "completion_rate": completion_rate},
            {"overdue": row["overdue"], "returned": row["returned"], "overdue_orders": row["overdue_orders"]},
        )
        kinds = set(row["kinds"] or ())
        groups.setdefault(row["kind"], []).append(
            {
                "unit": row["unit"],
                "name": row["name"],
                "kind": row["kind"],
                "tasks": row["tasks"],
                "closed": row["closed"],
                "cancelled": row["cancelled"],
                "in_progress": row["in_progress"],
                "overdue": row["overdue"],
                "overdue_days": row["overdue_days"],
                "on_time": row["on_time"],
                "on_time_rate": on_time_rate,
                "reported": row["reported"],
                "timeliness": timeliness,
                "completion_rate": completion_rate,
                "returned": row["returned"],
                "open_orders": row["open_orders"],
                "overdue_orders": row["overdue_orders"],
                "score": score,
                "previous_rank": None,  # no comparable snapshot without a campaign filter
                "rank_change": None,
                "cards": [kind for kind in ("yellow", "red") if kind in kinds],
            }
        )
    ranked = []
    for kind in UnitKind.values:
        members = groups.get(kind)
        if not members:
            continue
        ranked.append({"kind": kind, "label": str(UnitKind(kind).label), "rows": _places(members)})
    formula = _("得分 = %(rates)s%(penalties)s") % {
        "rates": " + ".join(f"{weights[key]} × {_(label)}" for key, label in RATE_LABELS),
        "penalties": "".join(f" − {weights[key]} × {_(label)}" for key, label in PENALTY_LABELS),
    }
    return respond(
        {
            "today": today.isoformat(),
            "weights": {name: float(value) for name, value in weights.items()},
            "empty_rates": "rescale",
            "max_score": 100,
            "formula": formula,
            "empty_rule": _(
                "比率按 0–1 计,满分 100;无可计算的比率(分母为 0)不计入,其余比率的权重按比例折算为 100;"
                "三项都无可计算的单位暂不排名。"
            ),
            "previous_week": None,
            "groups": ranked,
        }
    )


# ---- Tasks: list (page numbers or the sync cursor) and detail --------------------------------------------

TASK_SELECT = """
SELECT t.id, t.code, t.title, t.description, t.target, t.campaign_id, t.special_action_id, sa.name,
       t.parent_id, t.lead_unit_id, lu.name, lu.kind,
       rl.id, rl.username, rl.position, rl.role, rlu.name,
       t.start_date, t.deadline, t.original_deadline, t.priority, t.progress,
       (SELECT avg(c.progress)::float8 FROM tasks_task c
         WHERE c.parent_id = t.id AND c.status <> 'cancelled'),
       t.status, t.returned, t.closed_at, t.closed_late, t.created_at, t.updated_at,
       (SELECT json_agg(json_build_array(cu.id, cu.name, cu.kind) ORDER BY tc.id)
          FROM tasks_taskcooperation tc JOIN tasks_unit cu ON cu.id = tc.unit_id
         WHERE tc.task_id = t.id)
FROM tasks_task t
JOIN tasks_unit lu ON lu.id = t.lead_unit_id
JOIN tasks_specialaction sa ON sa.id = t.special_action_id
LEFT JOIN tasks_person rl ON rl.id = t.responsible_leader_id
LEFT JOIN tasks_unit rlu ON rlu.id = rl.unit_id
"""


def _moment(value: datetime.datetime | None, zone) -> str | None:
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _task(row, today: datetime.date, zone) -> dict:
    (pk, code, title, description, target, campaign, action, action_name, parent, lead, lead_name,
     lead_kind, leader, username, position, role, leader_unit, start, deadline, original, priority,
     progress, rollup, status, returned, closed_at, closed_late, created_at, updated_at, cooperating) = row  # fmt: skip
    running = status in RUNNING
    points = settings.WINTERACTION_BEHIND_POINTS
    behind = False
    if running and today > start:
        total = (deadline - start).days
        elapsed = min((today - start).days, total)
        behind = (progress + points) * total < 100 * elapsed if total else False
        if today >= deadline:
            behind = progress + points < 100
    if leader is None:
        responsible = None
    else:
        label = position or username
        name = f"{leader_unit}{label}" if leader_unit is not None and position else label
        responsible = {"id": leader, "name": name, "position": position, "role": role}
    return {
        "id": pk,
        "code": code,
        "title": title,
        "description": description,
        "target": target,
        "campaign": campaign,
        "special_action": {"id": action, "name": action_name},
        "parent": parent,
        "lead_unit": {"id": lead, "name": lead_name, "kind": lead_kind},
        "cooperating_units": [{"id": i, "name": n, "kind": k} for i, n, k in cooperating or ()],
        "responsible_leader": responsible,
        "start_date": start.isoformat(),
        "deadline": deadline.isoformat(),
        "original_deadline": original.isoformat() if original else None,
        "days_left": (deadline - today).days,
        "priority": priority,
        "progress": progress,
        "rollup_progress": rollup,
        "status": status,
        "status_display": str(TaskStatus(status).label),
        "returned": returned,
        "is_overdue": running and today > deadline,
        "is_due_soon": running
        and today <= deadline
        and (deadline - today).days <= settings.WINTERACTION_DUE_SOON_DAYS,
        "is_behind": behind,
        "closed_at": _moment(closed_at, zone),
        "closed_late": closed_late,
        "created_at": _moment(created_at, zone),
        "updated_at": _moment(updated_at, zone),
    }


def _with_param(url: str, key: str, value=None) -> str:
    """DRF's replace_query_param (value given) / remove_query_param (value None): sorted parameters."""
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = parse.parse_qs(query, keep_blank_values=True)
    params.pop(key, None)
    if value is not None:
        params[key] = [str(value)]
    query = parse.urlencode(sorted(params.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


def _size(request, default: int, maximum: int) -> int | None:
    raw = request.GET.get("page_size")
    if raw is None:
        return default
    return min(int(raw), maximum) if raw.isdigit() and int(raw) > 0 else None


LIST_PARAMS = {"county", "overdue", "ordering", "page", "page_size", "sync", "cursor"}


def task_list(request):
    params = request.GET
    if set(params) - LIST_PARAMS or params.get("ordering", "deadline") != "deadline":
        return problem(
            400, "minimal view: county, overdue, ordering=deadline, pages and the sync cursor only"
        )
    county = params.get("county")
    if county is not None and not county.isdigit():
        return problem(400, "county")
    viewer = viewer_for(request, int(county) if county else None)
    if viewer is None:
        return problem(401, "no valid token")
    if county is not None and viewer.unit_path is None:
        return problem(400, "county")
    today = timezone.localdate()
    scope, where = viewer.task_scope()
    conditions = [scope]
    if county is not None:
        conditions.append("lu.path LIKE %s")
        where.append(viewer.unit_path + "%")
    overdue = params.get("overdue")
    if overdue is not None:
        if overdue.lower() not in ("true", "false", "1", "0"):
            return problem(400, "overdue")
        running = "t.status IN ('not_started', 'in_progress') AND t.deadline < %s"
        conditions.append(running if overdue.lower() in ("true", "1") else f"NOT ({running})")
        where.append(today)
    if params.get("sync", "").lower() in ("1", "true") or "cursor" in params:
        return _sync_page(request, " AND ".join(conditions), where, today)
    size = _size(request, 50, 500)
    page = params.get("page", "1")
    if size is None or not page.isdigit() or int(page) < 1:
        return problem(400 if size is None else 404, "page")
    page = int(page)
    order = "t.deadline, t.id" if "ordering" in params else "t.deadline, t.code, t.id"
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tasks_task t JOIN tasks_unit lu ON lu.id = t.lead_unit_id WHERE "
            + " AND ".join(conditions),
            where,
        )
        [count] = cursor.fetchone()
        if (page - 1) * size >= max(count, 1):
            return problem(404, "Invalid page.")
        cursor.execute(
            f"{TASK_SELECT} WHERE {' AND '.join(conditions)} ORDER BY {order} LIMIT %s OFFSET %s",
            [*where, size, (page - 1) * size],
        )
        results = [_task(row, today, zone) for row in cursor.fetchall()]
    url = request.build_absolute_uri()
    return respond(
        {
            "count": count,
            "next": _with_param(url, "page", page + 1) if page * size < count else None,
            "previous": None if page == 1 else _with_param(url, "page", None if page == 2 else page - 1),
            "results": results,
        }
    )


def encode_cursor(updated_at: datetime.datetime, pk: int, day: datetime.date) -> str:
    raw = f"{updated_at.isoformat()}|{pk}|{day.isoformat()}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _sync_page(request, condition: str, where: list, today: datetime.date):
    size = _size(request, 200, 1000)
    if size is None:
        return problem(400, "page_size")
    settled = timezone.now() - datetime.timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)
    condition += " AND t.updated_at <= %s"
    where = [*where, settled]
    position = None
    cursor_value = request.GET.get("cursor")
    if cursor_value:
        try:
            raw = base64.urlsafe_b64decode(cursor_value + "=" * (-len(cursor_value) % 4)).decode()
            stamp, pk, *day = raw.split("|")
            position = (parse_datetime(stamp), int(pk))
            day = datetime.date.fromisoformat(day[0]) if day else None
        except ValueError:
            return problem(400, "cursor")
        if day == today:  # a cursor from an earlier day starts over: the daily re-sync (pagination.py)
            condition += " AND (t.updated_at, t.id) > (%s, %s)"
            where += list(position)
        else:
            position = None
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{TASK_SELECT} WHERE {condition} ORDER BY t.updated_at, t.id LIMIT %s", [*where, size + 1]
        )
        rows = cursor.fetchall()
    more = len(rows) > size
    rows = rows[:size]
    if rows:
        position = (rows[-1][28], rows[-1][0])
    resume = encode_cursor(*position, today) if position else None
    url = _with_param(request.build_absolute_uri(), "sync")
    return respond(
        {
            "next": _with_param(url, "cursor", resume) if more else None,
            "resume": resume,
            "results": [_task(row, today, zone) for row in rows],
        }
    )


def etag_for(data) -> str:
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def task_detail(request, pk: int):
    viewer = viewer_for(request)
    if viewer is None:
        return problem(401, "no valid token")
    scope, where = viewer.task_scope()
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(f"{TASK_SELECT} WHERE t.id = %s AND {scope}", [pk, *where])
        row = cursor.fetchone()
    if row is None:
        return problem(404, "No task matches the given query.")
    data = _task(row, today, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    tag = etag_for(data)
    if tag in [t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponse(status=304, headers={"ETag": tag})
    return respond(data, headers={"ETag": tag})


# ---- The reminder scan by hand ----------------------------------------------------------------------------

# supervision/reminders.py's rules and materialize(), each one INSERT … SELECT … ON CONFLICT DO NOTHING
# over the campaign's policy; %(day)s is the scan day, %(n)s its day number, %(now)s the app's clock.
DN = "(t.deadline - DATE '1970-01-01')"
POLICY_JOIN = "JOIN supervision_reminderpolicy rp ON rp.campaign_id = t.campaign_id AND rp.enabled"
NOTIFY = "INSERT INTO supervision_notification (key, rule, day, step, created_at, {columns}) "
SCAN_SQL = [
    # Every campaign has its policy row (the defaults).
    """INSERT INTO supervision_reminderpolicy (campaign_id)
       SELECT c.id FROM tasks_campaign c
        WHERE NOT EXISTS (SELECT 1 FROM supervision_reminderpolicy p WHERE p.campaign_id = c.id)
       ON CONFLICT DO NOTHING""",
    # Due soon: the lead units, then the cooperating units.
    NOTIFY.format(columns="task_id, unit_id")
    + f"""SELECT 'due_soon:t' || t.id || ':u' || t.lead_unit_id || ':d' || {DN} || ':' || s.step,
              'due_soon', %(day)s, s.step, %(now)s, t.id, t.lead_unit_id
         FROM tasks_task t {POLICY_JOIN}
         CROSS JOIN LATERAL (SELECT CASE WHEN t.deadline - %(day)s <= rp.due_soon_second
                                         THEN rp.due_soon_second ELSE rp.due_soon_first END AS step) s
        WHERE t.status IN ('not_started', 'in_progress')
          AND t.deadline BETWEEN %(day)s AND %(day)s + rp.due_soon_first
       ON CONFLICT DO NOTHING""",
    NOTIFY.format(columns="task_id, unit_id")
    + f"""SELECT 'due_soon:t' || t.id || ':u' || tc.unit_id || ':d' || {DN} || ':' || s.step,
              'due_soon', %(day)s, s.step, %(now)s, t.id, tc.unit_id
         FROM tasks_taskcooperation tc JOIN tasks_task t ON t.id = tc.task_id {POLICY_JOIN}
         CROSS JOIN LATERAL (SELECT CASE WHEN t.deadline - %(day)s <= rp.due_soon_second
                                         THEN rp.due_soon_second ELSE rp.due_soon_first END AS step) s
        WHERE t.status IN ('not_started', 'in_progress')
          AND t.deadline BETWEEN %(day)s AND %(day)s + rp.due_soon_first
       ON CONFLICT DO NOTHING""",
    # Overdue: the lead unit and the responsible leader, day 1 then every N days.
    NOTIFY.format(columns="task_id, unit_id")
    + f"""SELECT 'overdue:t' || t.id || ':u' || t.lead_unit_id || ':d' || {DN} || ':' || s.step,
              'overdue', %(day)s, s.step, %(now)s, t.id, t.lead_unit_id
         FROM tasks_task t {POLICY_JOIN}
         CROSS JOIN LATERAL (SELECT (%(day)s - t.deadline - 1) / rp.overdue_repeat_days AS step) s
        WHERE t.status IN ('not_started', 'in_progress') AND t.deadline < %(day)s
       ON CONFLICT DO NOTHING""",
    NOTIFY.format(columns="task_id, person_id")
    + f"""SELECT 'overdue:t' || t.id || ':p' || t.responsible_leader_id || ':d' || {DN} || ':' || s.step,
              'overdue', %(day)s, s.step, %(now)s, t.id, t.responsible_leader_id
         FROM tasks_task t {POLICY_JOIN}
         CROSS JOIN LATERAL (SELECT (%(day)s - t.deadline - 1) / rp.overdue_repeat_days AS step) s
        WHERE t.status IN ('not_started', 'in_progress') AND t.deadline < %(day)s
          AND t.responsible_leader_id IS NOT NULL
       ON CONFLICT DO NOTHING""",
    # Digest: one per active group whose scope holds a task or an order overdue long enough.
    NOTIFY.format(columns="group_id")
    + """SELECT 'digest:g' || g.id || ':' || %(iso)s, 'digest', %(day)s, 0, %(now)s, g.id
         FROM supervision_supervisiongroup g
        WHERE g.is_active AND (
          EXISTS (SELECT 1
                    FROM supervision_supervisiongroup_scope_units gs
                    JOIN tasks_unit su ON su.id = gs.unit_id
                    JOIN tasks_unit lu ON lu.path LIKE su.path || '%%'
                    JOIN tasks_task t ON t.lead_unit_id = lu.id
                    JOIN supervision_reminderpolicy rp ON rp.campaign_id = t.campaign_id AND rp.enabled
                   WHERE gs.supervisiongroup_id = g.id
                     AND t.status IN ('not_started', 'in_progress')
                     AND t.deadline <= %(day)s - rp.escalate_after_days
                     AND (NOT EXISTS (SELECT 1 FROM supervision_supervisiongroup_scope_special_actions a
                                       WHERE a.supervisiongroup_id = g.id)
                          OR EXISTS (SELECT 1 FROM supervision_supervisiongroup_scope_special_actions a
                                      WHERE a.supervisiongroup_id = g.id
                                        AND a.specialaction_id = t.special_action_id)))
          OR EXISTS (SELECT 1
                       FROM supervision_supervisiongroup_scope_units gs
                       JOIN tasks_unit su ON su.id = gs.unit_id
                       JOIN tasks_unit ou ON ou.path LIKE su.path || '%%'
                       JOIN supervision_supervisionorder o ON o.unit_id = ou.id
                      WHERE gs.supervisiongroup_id = g.id AND o.status <> 'closed'
                        AND o.deadline <= %(day)s - 3))
       ON CONFLICT DO NOTHING""",
    # No report: in progress, the lead unit silent for N days (from its last report, or the start).
    NOTIFY.format(columns="task_id, unit_id")
    + f"""SELECT 'stale:t' || t.id || ':u' || t.lead_unit_id || ':' || s.since,
              'stale_report', %(day)s, s.since, %(now)s, t.id, t.lead_unit_id
         FROM tasks_task t {POLICY_JOIN}
         CROSS JOIN LATERAL (
           SELECT coalesce(
             (SELECT (max(r.submitted_at) AT TIME ZONE '{LOCAL}')::date - DATE '1970-01-01'
                FROM tasks_progressreport r WHERE r.task_id = t.id AND r.unit_id = t.lead_unit_id),
             t.start_date - DATE '1970-01-01') AS since) s
        WHERE t.status = 'in_progress' AND %(n)s - s.since >= rp.stale_report_days
       ON CONFLICT DO NOTHING""",
    # Milestones: due within the second due-soon step, or overdue (day 1, then every N days).
    NOTIFY.format(columns="task_id, milestone_id, unit_id")
    + """SELECT 'milestone_due:m' || m.id || ':u' || t.lead_unit_id || ':d'
                || (m.due_date - DATE '1970-01-01'),
              'milestone_due', %(day)s, 0, %(now)s, t.id, m.id, t.lead_unit_id
         FROM tasks_milestone m JOIN tasks_task t ON t.id = m.task_id
         JOIN supervision_reminderpolicy rp ON rp.campaign_id = t.campaign_id AND rp.enabled
        WHERE m.done_on IS NULL AND t.status IN ('not_started', 'in_progress')
          AND m.due_date BETWEEN %(day)s AND %(day)s + rp.due_soon_second
       ON CONFLICT DO NOTHING""",
    NOTIFY.format(columns="task_id, milestone_id, unit_id")
    + """SELECT 'milestone_overdue:m' || m.id || ':u' || t.lead_unit_id || ':d'
                || (m.due_date - DATE '1970-01-01') || ':' || s.step,
              'milestone_overdue', %(day)s, s.step, %(now)s, t.id, m.id, t.lead_unit_id
         FROM tasks_milestone m JOIN tasks_task t ON t.id = m.task_id
         JOIN supervision_reminderpolicy rp ON rp.campaign_id = t.campaign_id AND rp.enabled
         CROSS JOIN LATERAL (SELECT (%(day)s - m.due_date - 1) / rp.overdue_repeat_days AS step) s
        WHERE m.done_on IS NULL AND t.status IN ('not_started', 'in_progress') AND m.due_date < %(day)s
       ON CONFLICT DO NOTHING""",
    # Supervision orders (the default policy): due soon at 3 and 1 days; overdue to the unit (unless
    # rectified: the group has it) and to the issuing group.
    NOTIFY.format(columns="order_id, unit_id")
    + """SELECT 'order_due:o' || o.id || ':u' || o.unit_id || ':d' || (o.deadline - DATE '1970-01-01')
                || ':' || s.step,
              'order_due', %(day)s, s.step, %(now)s, o.id, o.unit_id
         FROM supervision_supervisionorder o
         CROSS JOIN LATERAL (SELECT CASE WHEN o.deadline - %(day)s <= 1 THEN 1 ELSE 3 END AS step) s
        WHERE o.status <> 'closed' AND o.deadline BETWEEN %(day)s AND %(day)s + 3
       ON CONFLICT DO NOTHING""",
    NOTIFY.format(columns="order_id, unit_id")
    + """SELECT 'order_overdue:o' || o.id || ':u' || o.unit_id || ':d' || (o.deadline - DATE '1970-01-01')
                || ':' || s.step,
              'order_overdue', %(day)s, s.step, %(now)s, o.id, o.unit_id
         FROM supervision_supervisionorder o
         CROSS JOIN LATERAL (SELECT (%(day)s - o.deadline - 1) / 3 AS step) s
        WHERE o.status NOT IN ('closed', 'rectified') AND o.deadline < %(day)s
       ON CONFLICT DO NOTHING""",
    NOTIFY.format(columns="order_id, group_id")
    + """SELECT 'order_overdue:o' || o.id || ':g' || o.group_id || ':d' || (o.deadline - DATE '1970-01-01')
                || ':' || s.step,
              'order_overdue', %(day)s, s.step, %(now)s, o.id, o.group_id
         FROM supervision_supervisionorder o
         CROSS JOIN LATERAL (SELECT (%(day)s - o.deadline - 1) / 3 AS step) s
        WHERE o.status <> 'closed' AND o.deadline < %(day)s
       ON CONFLICT DO NOTHING""",
    # Inboxes: the unit's active officials and office, the person, the group's active members.
    """INSERT INTO supervision_inboxitem (notification_id, person_id, created_at)
       SELECT n.id, p.id, %(now)s FROM supervision_notification n
         JOIN tasks_person p ON p.unit_id = n.unit_id AND p.is_active AND p.role IN ('unit_official', 'office')
        WHERE n.day = %(day)s
       ON CONFLICT DO NOTHING""",
    """INSERT INTO supervision_inboxitem (notification_id, person_id, created_at)
       SELECT n.id, p.id, %(now)s FROM supervision_notification n
         JOIN tasks_person p ON p.id = n.person_id AND p.is_active
        WHERE n.day = %(day)s
       ON CONFLICT DO NOTHING""",
    """INSERT INTO supervision_inboxitem (notification_id, person_id, created_at)
       SELECT n.id, p.id, %(now)s FROM supervision_notification n
         JOIN supervision_supervisiongroup_members m ON m.supervisiongroup_id = n.group_id
         JOIN tasks_person p ON p.id = m.person_id AND p.is_active
        WHERE n.day = %(day)s
       ON CONFLICT DO NOTHING""",
    # The outbox: the unit's and the group's enabled endpoints, the person's email address.
    """INSERT INTO supervision_delivery
         (notification_id, channel, endpoint_id, address, next_attempt_at, created_at, updated_at)
       SELECT n.id, e.channel, e.id, e.address, %(now)s, %(now)s, %(now)s
         FROM supervision_notification n JOIN supervision_notifyendpoint e
           ON e.enabled AND (e.unit_id = n.unit_id OR e.group_id = n.group_id)
        WHERE n.day = %(day)s
       ON CONFLICT DO NOTHING""",
    """INSERT INTO supervision_delivery
         (notification_id, channel, address, next_attempt_at, created_at, updated_at)
       SELECT n.id, 'email', p.email, %(now)s, %(now)s, %(now)s
         FROM supervision_notification n JOIN tasks_person p ON p.id = n.person_id
        WHERE n.day = %(day)s AND p.is_active AND p.email <> ''
       ON CONFLICT DO NOTHING""",
]


def scan_by_hand(day: datetime.date) -> int:
    """The day's notifications, inbox items and deliveries, as supervision.reminders.scan makes them
    (without the working-day check, the lock and the publishing). Returns the notifications inserted."""
    params = {
        "day": day,
        "n": (day - datetime.date(1970, 1, 1)).days,
        "iso": day.isoformat(),
        "now": timezone.now(),
    }
    created = 0
    with connection.cursor() as cursor:
        for sql in SCAN_SQL:
            cursor.execute(sql, params)
            if sql.startswith("INSERT INTO supervision_notification"):
                created += max(cursor.rowcount, 0)
    return created


# What a scan made on `day`: counts and digests of the notifications, inbox items and deliveries, to
# compare two scans' rows (ids and timestamps aside).
DIGESTS = [
    """SELECT count(*), md5(string_agg(concat_ws('|', key, rule, day, step, task_id, milestone_id, order_id,
              unit_id, person_id, group_id, note, created_by_id), ',' ORDER BY key))
         FROM supervision_notification WHERE day = %s""",
    """SELECT count(*), md5(string_agg(n.key || '|' || i.person_id, ',' ORDER BY n.key, i.person_id))
         FROM supervision_inboxitem i JOIN supervision_notification n ON n.id = i.notification_id
        WHERE n.day = %s""",
    """SELECT count(*), md5(string_agg(concat_ws('|', n.key, d.channel, d.endpoint_id, d.address, d.state),
              ',' ORDER BY n.key, d.channel, d.address))
         FROM supervision_delivery d JOIN supervision_notification n ON n.id = d.notification_id
        WHERE n.day = %s""",
]


def scan_digest(day: datetime.date) -> tuple:
    with connection.cursor() as cursor:
        found = []
        for sql in DIGESTS:
            cursor.execute(sql, [day])
            found.append(tuple(cursor.fetchone()))
    return tuple(found)
