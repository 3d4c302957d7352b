"""A province at scale for benchmarks: the engine behind
`python -m tests.benchmarks.generate_scale`.

What it builds (see docs/benchmarks.md): a province (省) with cities (市) of counties (县); under each county
UNITS_PER_COUNTY units (县直部门, 乡镇, the development zone, two enterprises) laid out like the demo county;
people by position (each county's 督查室 office in 县委办, its leaders, its 两办 group leader and one official
per unit; each city's office and its numbered groups' inspectors); one 冬季行动 per county, as the domain
brief describes (the city launches the push, each county turns it into its own special actions and task
list), with ACTIONS_PER_CAMPAIGN special actions; supervision groups (a 两办 group per county, numbered city
groups over pairs of counties); tasks with deadlines, statuses, progress, cooperating units, progress reports
and their timeline; and supervision orders numbered per group and year.

The rows are the ones the services write (tasks.services.task_create, progress_report, task_request_close,
task_close, task_return, task_cancel; supervision.services.order_issue and the order steps): the same
columns set, the same event kinds with the same before/after JSON, the same invariants. The services are
not called (they would take hours for a million tasks); tests/benchmarks/test_generator.py holds the two
side by side.

How it is fast: the small tables (units, people, campaigns, groups, about 10,000 rows) go in with
bulk_create; the four big ones (tasks, cooperations, progress reports, timeline) are filled inside
PostgreSQL by `INSERT … SELECT` over generate_series, from a per-task plan table, with their secondary
indexes, unique and foreign-key constraints dropped first and re-created (and validated) afterwards; all
in one transaction, so a failure leaves the database as it was, indexes and constraints included. Check
constraints and primary keys stay in place (cheap for rows arriving in id order); the timeline's
append-only trigger fires on UPDATE and DELETE only and is never touched.

Reproducible: every random choice is a hash of (seed, draw, row id) (`hashint8extended`), not a random()
stream, so no choice depends on the order in which PostgreSQL happens to produce rows, and every id is
given explicitly. The same seed, sizes and --today give the same rows.
"""

import datetime
import json
import random
import threading
import time
import zoneinfo
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from supervision.models import (
    OrderEvent,
    OrderEventKind,
    OrderSequence,
    OrderStatus,
    SupervisionGroup,
    SupervisionOrder,
    Urgency,
)
from supervision.services import order_number
from tasks.demo import data as demo
from tasks.demo.task_list import TASKS as DEMO_TASKS
from tasks.models import (
    Campaign,
    ChargeKind,
    EventKind,
    LeaderCharge,
    Person,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskCooperation,
    TaskEvent,
    TaskStatus,
    Unit,
    UnitKind,
)


class ScaleError(Exception):
    """The generator cannot run here (not PostgreSQL, not migrated, not empty); the message says why."""


# ---- The shape of the province -------------------------------------------------------------------------

CAMPAIGN_START = -40  # days from --today: the campaign is under way, so deadlines fall on both sides
CAMPAIGN_END = 50
LAUNCH_DAYS = 3  # most tasks are listed when the campaign is launched (清单化) ...
LAUNCH_SHARE = 0.7  # ... the rest come out of progress meetings, up to yesterday
ACTIONS_PER_CAMPAIGN = 6
UNITS_PER_COUNTY = 30  # UNITS_PER_COUNTY - 1 is prime: the cooperating-unit strides below stay distinct
PEOPLE_PER_COUNTY = 9 + UNITS_PER_COUNTY


@dataclass(frozen=True)
class Shape:
    counties: int = 100
    tasks_per_county: int = 10_000
    counties_per_city: int = 10
    seed: int = 1
    today: datetime.date = field(default_factory=datetime.date.today)
    password: str = demo.DEMO_PASSWORD

    @property
    def tasks(self) -> int:
        return self.counties * self.tasks_per_county

    @property
    def cities(self) -> int:
        return -(-self.counties // self.counties_per_city)

    @property
    def campaign_start(self) -> datetime.date:
        return self.today + datetime.timedelta(days=CAMPAIGN_START)

    @property
    def campaign_end(self) -> datetime.date:
        return self.today + datetime.timedelta(days=CAMPAIGN_END)

    @property
    def orders_per_county_group(self) -> int:
        return max(5, self.tasks_per_county // 500)

    @property
    def orders_per_city_group(self) -> int:
        return max(3, self.tasks_per_county // 1000)


PROVINCE = ("山西省", "山西省")
CITIES = (
    ("太原市", "太原"),
    ("大同市", "大同"),
    ("阳泉市", "阳泉"),
    ("长治市", "长治"),
    ("晋城市", "晋城"),
    ("朔州市", "朔州"),
    ("晋中市", "晋中"),
    ("运城市", "运城"),
    ("忻州市", "忻州"),
    ("临汾市", "临汾"),
    ("吕梁市", "吕梁"),
)
COUNTIES = (
    *(
        "清徐县 阳曲县 娄烦县 古交市 阳高县 天镇县 广灵县 灵丘县 浑源县 左云县 平定县 盂县 襄垣县 平顺县".split()
    ),
    *(
        "黎城县 壶关县 长子县 武乡县 沁县 沁源县 沁水县 阳城县 陵川县 泽州县 高平市 山阴县 应县 右玉县".split()
    ),
    *(
        "怀仁市 榆社县 左权县 和顺县 昔阳县 寿阳县 祁县 平遥县 灵石县 介休市 临猗县 万荣县 闻喜县 稷山县".split()
    ),
    *("新绛县 绛县 垣曲县 夏县 平陆县 芮城县 永济市 河津市 定襄县 五台县 代县 繁峙县 宁武县 静乐县".split()),
    *(
        "神池县 五寨县 岢岚县 河曲县 保德县 偏关县 原平市 曲沃县 翼城县 襄汾县 洪洞县 古县 安泽县 浮山县".split()
    ),
    *("吉县 乡宁县 大宁县 隰县 永和县 蒲县 汾西县 侯马市 霍州市 文水县 交城县 兴县 临县 柳林县".split()),
    *(
        "石楼县 岚县 方山县 中阳县 交口县 孝义市 汾阳市 太谷区 屯留区 潞城区 上党区 云州区 朔城区 平鲁区".split()
    ),
    *(
        "尧都区 盐湖区 忻府区 离石区 榆次区 城区 郊区 矿区 小店区 迎泽区 杏花岭区 尖草坪区 万柏林区 晋源区".split()
    ),
)
TOWNSHIPS = (
    *(
        "城关镇 大营镇 新城镇 龙泉镇 东关镇 西关镇 南关镇 北关镇 河西镇 古城镇 石门镇 高村镇 杜村镇 白石镇".split()
    ),
    *(
        "三交镇 王家庄乡 李家庄乡 张庄乡 马家沟乡 黄土乡 红星乡 柳树乡 槐树镇 杨家坡乡 青龙镇 白龙镇 双井乡".split()
    ),
    *("东湖乡 西山乡 南坡乡 北岭乡 中庄镇 新庄乡 和平乡 太平镇 长乐乡 永安镇 安乐乡 兴隆镇 福田乡".split()),
)
CHINESE_NUMERALS = "一二三四五六七八九十"


class UnitSlot(NamedTuple):
    slug: str
    name: str  # "{county}" and "{stem}" are filled in per county
    kind: str
    full_name: str
    parent: int = 0  # the county (0) or the unit at this position (1-based)
    official: str = ""


def _demo_unit(slug: str) -> demo.UnitSpec:
    return next(unit for unit in demo.COUNTY_UNITS if unit.slug == slug)


_D, _T, _Z, _E = UnitKind.DEPARTMENT, UnitKind.TOWNSHIP, UnitKind.DEV_ZONE, UnitKind.ENTERPRISE
_DEPARTMENTS = "xwb zfb fagai tongji gongxin nengyuan yingji wenlv zhujian ziran sthj xinfang wmb xczx nongye caizheng shichang"
UNIT_SLOTS: tuple[UnitSlot, ...] = (
    *(
        UnitSlot(
            slug,
            _demo_unit(slug).name,
            _D,
            _demo_unit(slug).full_name,
            official=_demo_unit(slug).official or demo.DEFAULT_OFFICIAL[_D],
        )
        for slug in _DEPARTMENTS.split()
    ),
    UnitSlot("kfq", "{stem}经开区", _Z, "{stem}经济技术开发区", official="经济发展部部长"),
    *(UnitSlot(f"t{n:02d}", "", _T, "", official=demo.DEFAULT_OFFICIAL[_T]) for n in range(1, 11)),
    UnitSlot("coal", "", _E, "", parent=18, official="安全副矿长"),  # a coal mine in the first township
    UnitSlot("chengtou", "县城投公司", _E, "{county}城市建设投资有限公司", official="工程部经理"),
)
assert len(UNIT_SLOTS) == UNITS_PER_COUNTY
SLOT_OF = {slot.slug: position for position, slot in enumerate(UNIT_SLOTS, start=1)}
FIRST_TOWNSHIP = SLOT_OF["t01"]
# The county's 两办 group covers its townships, the development zone and the departments it inspects most.
COUNTY_GROUP_SCOPE = (*(f"t{n:02d}" for n in range(1, 11)), "kfq", "yingji", "nengyuan", "wenlv", "zhujian")

# People of a county, by offset in its block of PEOPLE_PER_COUNTY ids; unit officials follow at 8 + slot.
COUNTY_PEOPLE = (
    ("office", "xwb", Role.OFFICE, "督查室主任"),
    ("zfb_office", "zfb", Role.OFFICE, "督查室副主任"),
    ("shuji", "", Role.LEADER, "县委书记"),
    ("xianzhang", "", Role.LEADER, "县委副书记、县长"),
    ("changwu", "", Role.LEADER, "县委常委、常务副县长"),
    ("fxz_gongye", "", Role.LEADER, "副县长(分管工业、能源、应急管理、开发区)"),
    ("fxz_chengjian", "", Role.LEADER, "副县长(分管住建、自然资源、文旅)"),
    ("fxz_huanbao", "", Role.LEADER, "副县长(分管生态环境、农业农村、乡村振兴)"),
    ("ldb_zuzhang", "xwb", Role.INSPECTOR, "两办联合督查组组长(县委办副主任)"),
)
OFFICE, ZFB_OFFICE, XIANZHANG, LDB_ZUZHANG, OFFICIALS = 0, 1, 3, 8, 8
DEPUTIES = (4, 5, 6, 7)  # each unit answers to one of them (分管 a department, 包联 a township)
THEME_LEADER = {
    "changwu": 4,
    "fxz_gongye": 5,
    "fxz_chengjian": 6,
    "fxz_wenjiao": 6,
    "fxz_huanbao": 7,
    "fxz_nongye": 7,
    "zfw_sj": XIANZHANG,
    "xcb_bz": XIANZHANG,
}

# ---- Themes and texts, from the demo county -------------------------------------------------------------
# Every campaign runs 经济运行, 安全生产 and 生态环保, plus three of the other ten in rotation.

THEMES = demo.ACTIONS
THEME_INDEX = {action.code: index for index, action in enumerate(THEMES, start=1)}
FIXED_THEMES = ("JJ", "AQ", "ST")
ROTATING_THEMES = tuple(action.code for action in THEMES if action.code not in FIXED_THEMES)
ACTION_WEIGHTS = (0.22, 0.22, 0.18, 0.14, 0.12, 0.12)

CLOSE_NOTES = ("已按期完成全部任务,申请销号。", "任务已完成,佐证材料已上传,申请销号。", "")
CLOSE_NOTE = "经核查,同意销号。"
RETURN_REASONS = ("佐证材料不全,请补充现场照片后再申请销号。", "部分点位整改不到位,请继续推进。")
CANCEL_REASONS = ("该项工作已并入市级统筹推进,本县不再单列。", "经推进会研究,任务调整,予以撤销。")
ORDER_TEXTS = (
    ("进度明显滞后,近两周未填报进度。", "立即制定整改方案,倒排工期,每周报送进度。"),
    ("现场检查发现整改不彻底,存在反弹。", "举一反三全面排查,3日内反馈整改情况并附照片。"),
    ("台账资料不完整,佐证材料缺失。", "补齐台账和佐证材料,建立周更新制度。"),
    ("重点项目开工手续办理滞后。", "主要负责同志亲自协调,明确办结时限。"),
    ("安全隐患排查不到位,问题清单未闭环。", "逐项销号,整改完成后报督导组验收。"),
    ("群众反映问题办理超期。", "限期办结并向群众反馈,杜绝推诿扯皮。"),
)
ORDER_RETURN_REASON = "整改不到位,请按要求重新整改并补充佐证材料。"
RECTIFICATIONS = ("已完成整改,附整改前后对比照片。", "已建立台账并落实专人负责,问题已闭环。")


def _templates() -> dict[str, list]:
    """Task titles, descriptions, targets and report texts per theme, from the demo county's tasks."""
    tasks: dict[str, list] = {action.code: [] for action in THEMES}
    done: dict[str, list] = {action.code: [] for action in THEMES}
    for spec in DEMO_TASKS:
        tasks[spec.action].append(spec)
        done[spec.action] += [r.done for r in spec.reports] + [c.done for c in spec.coop_reports]
    problems = sorted({r.problems for spec in DEMO_TASKS for r in spec.reports if r.problems})
    next_steps = sorted({r.next_steps for spec in DEMO_TASKS for r in spec.reports if r.next_steps})
    every_done = [text for texts in done.values() for text in texts]
    out = {key: [] for key in ("title", "title_json", "description", "target", "done")}
    out |= {"task_offset": [], "task_count": [], "done_offset": [], "done_count": []}
    for action in THEMES:
        specs, texts = tasks[action.code], done[action.code] or every_done
        out["task_offset"].append(len(out["title"]))
        out["task_count"].append(len(specs))
        out["title"] += [spec.title for spec in specs]
        out["title_json"] += [json.dumps(spec.title, ensure_ascii=False) for spec in specs]
        out["description"] += [spec.description for spec in specs]
        out["target"] += [spec.target for spec in specs]
        out["done_offset"].append(len(out["done"]))
        out["done_count"].append(len(texts))
        out["done"] += texts
    out["problems"], out["next_steps"] = problems, next_steps
    return out


# ---- The layout: ids of everything small, given explicitly ------------------------------------------------


@dataclass
class County:
    index: int  # 1-based
    name: str
    stem: str  # "洪洞" for 洪洞县: replaces the demo county's name in texts
    city: int  # 1-based
    code: str  # the campaign's code, the task codes' prefix
    unit_id: int
    person0: int  # first person id of the county's block
    townships: list[str]

    def unit(self, slot: int) -> int:
        return self.unit_id + slot

    def person(self, offset: int) -> int:
        return self.person0 + offset

    def official(self, slot: int) -> int:
        return self.person0 + OFFICIALS + slot


class Layout:
    """Ids and names of the units, people, campaigns, special actions and groups of a shape."""

    def __init__(self, shape: Shape):
        self.shape = shape
        n_cities = shape.cities
        self.city_ids = [2 + (ci - 1) * 3 for ci in range(1, n_cities + 1)]  # each city, then its two depts
        self.county_unit0 = 2 + n_cities * 3
        width = max(3, len(str(shape.counties)))
        self.counties = []
        for c in range(1, shape.counties + 1):
            name = COUNTIES[c - 1] if c <= len(COUNTIES) else f"第{c}县"
            stem = name[:-1] if len(name) > 2 else name[:1]
            start = ((c - 1) * 7) % len(TOWNSHIPS)
            townships = [TOWNSHIPS[(start + n) % len(TOWNSHIPS)] for n in range(10)]
            self.counties.append(
                County(
                    index=c,
                    name=name,
                    stem=stem,
                    city=(c - 1) // shape.counties_per_city + 1,
                    code=f"X{c:0{width}d}",
                    unit_id=self.county_unit0 + (c - 1) * (UNITS_PER_COUNTY + 1),
                    person0=(c - 1) * PEOPLE_PER_COUNTY + 1,
                    townships=townships,
                )
            )
        self.people_after_counties = shape.counties * PEOPLE_PER_COUNTY

    def city_name(self, ci: int) -> tuple[str, str]:
        return CITIES[ci - 1] if ci <= len(CITIES) else (f"第{ci}市", f"第{ci}")

    def themes_of(self, county: County) -> list[str]:
        rotating = [ROTATING_THEMES[((county.index - 1) * 3 + n) % len(ROTATING_THEMES)] for n in range(3)]
        return [*FIXED_THEMES, *rotating]

    def special_action_id(self, county: County, slot: int) -> int:
        return (county.index - 1) * ACTIONS_PER_CAMPAIGN + slot

    def city_groups(self, ci: int) -> list[list[County]]:
        """The counties each of a city's numbered groups covers: its counties two by two."""
        mine = [county for county in self.counties if county.city == ci]
        return [mine[n : n + 2] for n in range(0, len(mine), 2)]


# ---- Progress on stderr ---------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar: the share of the estimated work done, the step, the seconds so far."""

    def __init__(self, stream, total: float, width: int = 30):
        self.stream, self.total, self.width = stream, total, width
        self.done, self.started = 0.0, time.monotonic()
        self.lock = threading.Lock()  # the big tables' connections advance it from their threads

    def advance(self, weight: float, label: str) -> None:
        with self.lock:
            self.done = min(self.total, self.done + weight)
            if self.stream is None:
                return
            share = self.done / self.total if self.total else 1
            filled = int(share * self.width)
            bar = "█" * filled + "░" * (self.width - filled)
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\r[{bar}] {share:4.0%}  {elapsed:6.1f} s  {label[:40]:<40}")
            self.stream.flush()

    def finish(self) -> None:
        self.advance(self.total, "done")
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


# ---- Safety: PostgreSQL, migrated, empty (or --reset) ------------------------------------------------------

# Rows that migrate itself writes, and that every app needs: never counted as data, never truncated.
SCHEMA_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


def data_tables() -> list[str]:
    return sorted(set(connection.introspection.table_names()) - SCHEMA_TABLES)


def tables_with_rows() -> list[str]:
    tables = data_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {connection.ops.quote_name(t)})" for t in tables
            ),
            tables,
        )
        return [row[0] for row in cursor.fetchall()]


def check_database() -> None:
    if connection.vendor != "postgresql":
        raise ScaleError(
            "generate_scale needs PostgreSQL (it fills tables with INSERT … SELECT generate_series and "
            "rebuilds indexes): set DATABASE_URL=postgres://… . SQLite is not supported, not even for "
            "small runs."
        )
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise ScaleError("the database is not fully migrated: run `manage.py migrate` first")


def reset_database() -> None:
    """Empty every table but the migration bookkeeping, content types and permissions; ids restart at 1."""
    tables = ", ".join(connection.ops.quote_name(t) for t in data_tables())
    with connection.cursor() as cursor:
        # Deferred foreign-key checks still queued in this transaction would block TRUNCATE: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# ---- Dropping and re-creating indexes and constraints ------------------------------------------------------

BIG_TABLES = ("tasks_task", "tasks_taskcooperation", "tasks_progressreport", "tasks_taskevent")


def schema_snapshot(tables=BIG_TABLES) -> dict[str, set]:
    """The indexes, constraints and triggers on and into `tables`, as comparable text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(tables)]
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid),
                   condeferrable, condeferred, convalidated
            FROM pg_constraint
            WHERE conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s)
            """,
            [list(tables), list(tables)],
        )
        constraints = set(cursor.fetchall())
        cursor.execute(
            """
            SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled
            FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(%s)
            """,
            [list(tables)],
        )
        triggers = set(cursor.fetchall())
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers}


class Unindexed:
    """Drops the secondary indexes, unique and foreign-key constraints of the big tables; `restore` puts
    them back from their own definitions (pg_get_indexdef / pg_get_constraintdef), unique ones first so
    the foreign keys that need them find them. Primary keys, check constraints and triggers stay.

    When the drop is committed before the tables are filled (several connections fill them), `remember`
    keeps the definitions in the database itself, as a comment on the task table, until `forget`: a run
    killed in between leaves them there for the next run's --reset (`left_behind`) to put back."""

    NOTE = "generate_scale: indexes and constraints to put back: "

    def __init__(self, tables=BIG_TABLES, *, constraints=None, indexes=None):
        self.tables = list(tables)
        if constraints is not None:
            self.constraints, self.indexes = [tuple(c) for c in constraints], [tuple(i) for i in indexes]
            return
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
                FROM pg_constraint
                WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')
                ORDER BY contype, conname
                """,
                [self.tables],
            )
            self.constraints = cursor.fetchall()  # foreign keys ('f') before unique ('u')
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid::regclass::text = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """,
                [self.tables],
            )
            self.indexes = cursor.fetchall()

    @classmethod
    def left_behind(cls) -> "Unindexed | None":
        """What a killed run dropped and did not put back, or None."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [BIG_TABLES[0]])
            note = cursor.fetchone()[0] or ""
        if not note.startswith(cls.NOTE):
            return None
        kept = json.loads(note.removeprefix(cls.NOTE))
        return cls(kept["tables"], constraints=kept["constraints"], indexes=kept["indexes"])

    def _note(self, text: str | None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"COMMENT ON TABLE {connection.ops.quote_name(BIG_TABLES[0])} IS %s", [text])

    def remember(self) -> None:
        kept = {"tables": self.tables, "constraints": self.constraints, "indexes": self.indexes}
        self._note(self.NOTE + json.dumps(kept, ensure_ascii=False))

    def forget(self) -> None:
        self._note(None)

    def drop(self) -> None:
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, name, _kind, _definition in self.constraints:
                cursor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {q(name)}")

    def restore(self, step: Callable[[str], None]) -> None:
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, name, kind, definition in reversed(self.constraints):
                if kind == "u":
                    cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
                    step(f"unique {name}")
            for name, definition in self.indexes:
                cursor.execute(definition)
                step(f"index {name}")
            for table, name, kind, definition in self.constraints:
                if kind == "f":
                    cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
                    step(f"foreign key {name}")

    @property
    def count(self) -> int:
        return len(self.constraints) + len(self.indexes)


# ---- SQL helpers ------------------------------------------------------------------------------------------


class Sql:
    """Literals and expressions shared by the big statements."""

    def __init__(self, shape: Shape):
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        offsets = {
            tz.utcoffset(datetime.datetime.combine(day, datetime.time(12)))
            for day in (shape.campaign_start, shape.today, shape.campaign_end)
        }
        if len(offsets) != 1:
            raise ScaleError(
                f"{settings.TIME_ZONE} changes its UTC offset during the campaign; not supported"
            )
        self.offset = int(offsets.pop().total_seconds())  # Asia/Shanghai: +8 h all year
        self.seed = shape.seed

    def rnd(self, column: str, draw: int) -> str:
        """A uniform number in [0, 1) from (seed, draw, the row's id): the same for the same row, always."""
        return f"((hashint8extended(({column})::bigint, {self.seed * 1000 + draw}) & 2147483647)::float8 / 2147483648.0)"

    @staticmethod
    def date(day: datetime.date) -> str:
        return f"DATE '{day.isoformat()}'"

    def day_start(self, day_expr: str) -> str:
        """Epoch seconds of 00:00 local time on a date."""
        return f"((({day_expr}) - DATE '1970-01-01')::bigint * 86400 - {self.offset})"

    def local_day(self, epoch_expr: str) -> str:
        return f"(DATE '1970-01-01' + ((({epoch_expr}) + {self.offset}) / 86400)::int)"

    @staticmethod
    def ts(epoch_expr: str) -> str:
        return f"to_timestamp({epoch_expr})"

    @staticmethod
    def iso_utc(epoch_expr: str) -> str:
        """What datetime.isoformat() writes for an aware UTC datetime with whole seconds."""
        return f"(to_char(to_timestamp({epoch_expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00')"


# ---- The generator -----------------------------------------------------------------------------------------


# The steps' shares of the progress bar: their CPU seconds on the full run (1,000,000 tasks).
STEP_WEIGHTS = {"drop": 0.5, "small": 1, "big": 40, "restore": 16, "orders": 1, "analyze": 2}


class Generator:
    """Builds a shape's province; `run` returns the row counts."""

    def __init__(self, shape: Shape, *, stderr=None, jobs: int = 1):
        self.shape = shape
        self.layout = Layout(shape)
        self.sql = Sql(shape)
        self.texts = _templates()
        self.now_e = self._epoch(shape.today)  # 00:00 today: all history happens before it
        self.chunks = self._chunks()
        self.jobs = max(1, min(jobs, len(self.chunks)))
        self.progress = Progress(stderr, total=sum(STEP_WEIGHTS.values()))

    def _epoch(self, day: datetime.date) -> int:
        return int((day - datetime.date(1970, 1, 1)).days) * 86400 - self.sql.offset

    def _chunks(self) -> list[tuple[int, int]]:
        per = max(1, -(-self.shape.counties // 8))
        t = self.shape.tasks_per_county
        return [
            ((c0 - 1) * t + 1, min(self.shape.counties, c0 + per - 1) * t)
            for c0 in range(1, self.shape.counties + 1, per)
        ]

    # -- the whole run --

    def run(self) -> dict[str, int]:
        """In one transaction when `jobs` is 1 or the caller already holds one (as a test does); otherwise
        in three, so that `jobs` connections can fill the big tables at once (`_run_in_three`)."""
        if self.jobs == 1 or connection.in_atomic_block:
            with transaction.atomic():
                before, unindexed = self._unindex()
                self._fill_sequentially(STEP_WEIGHTS["big"])
                counts = self._reindex(before, unindexed)
        else:
            counts = self._run_in_three()
        self.progress.finish()
        return counts

    def _run_in_three(self) -> dict[str, int]:
        """(1) drop the indexes and constraints, noting their definitions in the database, and write the
        small tables; (2) `jobs` connections fill the big tables, each a run of consecutive counties in a
        transaction of its own; (3) put the indexes and constraints back, add the orders, reset the
        sequences, ANALYZE. If (2) or (3) fails or is interrupted, the tables are emptied and the indexes
        put back before the error goes on; if the process is killed, the note stays for --reset."""
        with transaction.atomic():
            before, unindexed = self._unindex()
            unindexed.remember()
        try:
            self._fill_in_parallel(STEP_WEIGHTS["big"])
            with transaction.atomic():
                self._settings()
                return self._reindex(before, unindexed)
        except BaseException:
            with transaction.atomic():
                reset_database()
                unindexed.restore(lambda label: None)
                unindexed.forget()
            raise

    def _settings(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")

    def _unindex(self) -> tuple[dict, "Unindexed"]:
        """Drop the big tables' indexes and write the small tables; returns the schema as it was."""
        before = schema_snapshot()
        self._settings()
        unindexed = Unindexed()
        unindexed.drop()
        self.progress.advance(STEP_WEIGHTS["drop"], "indexes and constraints dropped")
        self.small_tables()
        self.progress.advance(STEP_WEIGHTS["small"], "province, units, people, groups")
        return before, unindexed

    def _reindex(self, before: dict, unindexed: "Unindexed") -> dict[str, int]:
        """Put the indexes back, then the orders, the sequences and ANALYZE; returns the row counts."""
        each = STEP_WEIGHTS["restore"] / max(1, unindexed.count)
        unindexed.restore(lambda label: self.progress.advance(each, label))
        unindexed.forget()
        self.orders()
        self.progress.advance(STEP_WEIGHTS["orders"], "supervision orders")
        self.sequences()
        after = schema_snapshot()
        if after != before:
            changed = {key: before[key] ^ after[key] for key in before if before[key] != after[key]}
            raise ScaleError(f"indexes, constraints or triggers differ after the run: {changed}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.progress.advance(STEP_WEIGHTS["analyze"], "ANALYZE")
        return self.counts()

    def counts(self) -> dict[str, int]:
        models = {
            "units": Unit,
            "people": Person,
            "campaigns": Campaign,
            "special actions": SpecialAction,
            "supervision groups": SupervisionGroup,
            "tasks": Task,
            "cooperations": TaskCooperation,
            "progress reports": ProgressReport,
            "task events": TaskEvent,
            "supervision orders": SupervisionOrder,
            "order events": OrderEvent,
        }
        return {label: model.objects.count() for label, model in models.items()}

    # -- small tables: bulk_create with explicit ids ------------------------------------------------------

    def _at(self, day: datetime.date, hour: int) -> datetime.datetime:
        return datetime.datetime.combine(
            day, datetime.time(hour), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)
        )

    def small_tables(self) -> None:
        paths = self._units()
        city_people = self._people()
        self._campaigns()
        self._groups(paths, city_people)

    def _units(self) -> dict[int, str]:
        """The province, its cities (each with two departments), its counties and their units; returns the
        materialized path of every unit by id."""
        layout = self.layout
        units: list[Unit] = []

        def unit(pk, name, kind, parent, full_name, sort_order=0):
            made = Unit(
                id=pk,
                parent=parent,
                kind=kind,
                name=name,
                full_name=full_name or name,
                path=f"{parent.path if parent else '/'}{pk}/",
                depth=parent.depth + 1 if parent else 0,
                sort_order=sort_order,
            )
            units.append(made)
            return made

        province = unit(1, PROVINCE[0], UnitKind.PROVINCE, None, PROVINCE[1])
        cities = {}
        for ci, pk in enumerate(layout.city_ids, start=1):
            name, stem = layout.city_name(ci)
            city = cities[ci] = unit(pk, name, UnitKind.CITY, province, f"{PROVINCE[0]}{name}", ci)
            for order, spec in enumerate(demo.CITY_UNITS):
                unit(pk + 1 + order, spec.name, spec.kind, city, spec.full_name.replace("临汾", stem), order)
        for county in layout.counties:
            city_name, city_stem = layout.city_name(county.city)
            made = {
                0: unit(
                    county.unit_id,
                    county.name,
                    UnitKind.COUNTY,
                    cities[county.city],
                    f"{city_name}{county.name}",
                    county.index,
                )
            }
            for slot, spec in enumerate(UNIT_SLOTS, start=1):
                if spec.kind == _T:
                    name = county.townships[slot - FIRST_TOWNSHIP]
                    full_name = f"{county.name}{name}"
                elif spec.slug == "coal":
                    name = county.townships[0][:-1] + "煤业"
                    full_name = f"{county.stem}{name}有限公司"
                else:
                    name = spec.name.format(stem=county.stem)
                    full_name = (
                        spec.full_name.format(stem=county.stem, county=county.name)
                        .replace("洪洞", county.stem)
                        .replace("临汾", city_stem)
                    )
                made[slot] = unit(county.unit(slot), name, spec.kind, made[spec.parent], full_name, slot)
        Unit.objects.bulk_create(units, batch_size=2000)
        return {made.id: made.path for made in units}

    def _people(self) -> dict[int, dict]:
        """Each county's office, leaders, 两办 group leader and unit officials; the province's and each
        city's office and the city groups' inspectors (returned by city, then group number)."""
        layout = self.layout
        # One hash for everyone, computed once; salted by the seed so the rows are reproducible.
        password = make_password(self.shape.password, salt=f"scale{self.shape.seed:010d}")
        joined = self._at(self.shape.campaign_start - datetime.timedelta(days=10), 8)
        people: list[Person] = []

        def person(pk, username, unit_id, role, position):
            people.append(
                Person(
                    id=pk,
                    username=username,
                    password=password,
                    unit_id=unit_id,
                    role=role,
                    position=position,
                    is_staff=role == Role.OFFICE,  # as person_create does
                    date_joined=joined,
                )
            )
            return pk

        for county in layout.counties:
            prefix = county.code.lower()
            for offset, (slug, unit_slug, role, position) in enumerate(COUNTY_PEOPLE):
                where = county.unit(SLOT_OF[unit_slug]) if unit_slug else county.unit_id
                person(county.person(offset), f"{prefix}_{slug}", where, role, position)
            for slot, spec in enumerate(UNIT_SLOTS, start=1):
                username = f"{prefix}_{spec.slug}"
                person(county.official(slot), username, county.unit(slot), Role.UNIT_OFFICIAL, spec.official)
        pk = layout.people_after_counties + 1
        person(pk, "prov_office", 1, Role.OFFICE, "省委督查室主任")
        city_people: dict[int, dict] = {}
        for ci, city_pk in enumerate(layout.city_ids, start=1):
            pk += 1
            city_people[ci] = {
                "office": person(pk, f"s{ci:02d}_office", city_pk, Role.OFFICE, "市委督查室主任")
            }
            for n in range(1, len(layout.city_groups(ci)) + 1):
                title = f"市“冬季行动”第{_numeral(n)}督导检查组"
                city_people[ci][n] = [
                    person(pk + 1, f"s{ci:02d}_dd{n}_zuzhang", city_pk, Role.INSPECTOR, f"{title}组长"),
                    person(pk + 2, f"s{ci:02d}_dd{n}_zuyuan1", city_pk + 1, Role.INSPECTOR, f"{title}成员"),
                    person(pk + 3, f"s{ci:02d}_dd{n}_zuyuan2", city_pk + 2, Role.INSPECTOR, f"{title}成员"),
                ]
                pk += 3
        Person.objects.bulk_create(people, batch_size=2000)

        charges = [
            LeaderCharge(
                id=n,
                leader_id=county.person(DEPUTIES[slot % len(DEPUTIES)]),
                unit_id=county.unit(slot),
                kind=ChargeKind.LIAISON if spec.kind == _T else ChargeKind.IN_CHARGE,
            )
            for n, (county, (slot, spec)) in enumerate(
                ((county, item) for county in layout.counties for item in enumerate(UNIT_SLOTS, start=1)),
                start=1,
            )
        ]
        LeaderCharge.objects.bulk_create(charges, batch_size=5000)
        return city_people

    def _campaigns(self) -> None:
        """One campaign per county (the county's own 冬季行动), ACTIONS_PER_CAMPAIGN special actions each."""
        layout, start = self.layout, self.shape.campaign_start
        campaigns, actions, task_force = [], [], []
        through = SpecialAction.task_force.through
        for county in layout.counties:
            campaigns.append(
                Campaign(
                    id=county.index,
                    owner_id=county.unit_id,
                    name=f"{county.name}“冬季行动”",
                    code=county.code,
                    start_date=start,
                    end_date=self.shape.campaign_end,
                )
            )
            for slot, code in enumerate(layout.themes_of(county), start=1):
                theme = THEMES[THEME_INDEX[code] - 1]
                pk = layout.special_action_id(county, slot)
                actions.append(
                    SpecialAction(
                        id=pk,
                        campaign_id=county.index,
                        name=theme.name,
                        code=theme.code,
                        lead_unit_id=county.unit(SLOT_OF[theme.lead]),
                        lead_leader_id=county.person(THEME_LEADER[theme.leader]),
                        sort_order=slot * 10,
                    )
                )
                for slug in theme.task_force:
                    if slug in SLOT_OF:
                        official = county.official(SLOT_OF[slug])
                        task_force.append(
                            through(id=len(task_force) + 1, specialaction_id=pk, person_id=official)
                        )
        Campaign.objects.bulk_create(campaigns, batch_size=2000)
        # auto_now_add stamped now(): the campaigns were launched on their first day.
        Campaign.objects.update(created_at=self._at(start, 8))
        SpecialAction.objects.bulk_create(actions, batch_size=2000)
        through.objects.bulk_create(task_force, batch_size=5000)

    def _groups(self, paths: dict[int, str], city_people: dict[int, dict]) -> None:
        """Each county's 两办 group, then each city's numbered groups, one per pair of its counties."""
        layout = self.layout
        groups, members, scopes = [], [], []
        self.groups: list[dict] = []
        members_through = SupervisionGroup.members.through
        scope_through = SupervisionGroup.scope_units.through

        def group(pk, name, issuing, leader, others, scope, prefix, counties):
            groups.append(
                SupervisionGroup(
                    id=pk, name=name, issuing_unit_id=issuing, leader_id=leader, order_prefix=prefix
                )
            )
            for member in (leader, *others):
                members.append(members_through(id=len(members) + 1, supervisiongroup_id=pk, person_id=member))
            for unit_id in scope:
                scopes.append(scope_through(id=len(scopes) + 1, supervisiongroup_id=pk, unit_id=unit_id))
            # The units whose tasks the group may name in an order: its scope units and all under them.
            roots = [paths[unit_id] for unit_id in scope]
            covers = {
                unit_id
                for county in counties
                for unit_id in range(county.unit_id, county.unit(UNITS_PER_COUNTY) + 1)
                if any(paths[unit_id].startswith(root) for root in roots)
            }
            self.groups.append(
                {"id": pk, "name": name, "prefix": prefix, "leader": leader, "members": [leader, *others]}
                | {"covers": covers, "counties": counties}
            )

        for county in layout.counties:
            group(
                county.index,
                "县委办县政府办联合督查组",
                county.unit_id,
                county.person(LDB_ZUZHANG),
                [county.person(ZFB_OFFICE)],
                [county.unit(SLOT_OF[slug]) for slug in COUNTY_GROUP_SCOPE],
                f"{county.stem[0]}督",
                [county],
            )
        pk = len(layout.counties)
        for ci, city_pk in enumerate(layout.city_ids, start=1):
            city_stem = layout.city_name(ci)[1]
            for n, pair in enumerate(layout.city_groups(ci), start=1):
                pk += 1
                leader, *others = city_people[ci][n]
                group(
                    pk,
                    f"市“冬季行动”第{_numeral(n)}督导检查组",
                    city_pk,
                    leader,
                    others,
                    [county.unit_id for county in pair],
                    f"{city_stem[0]}督{_numeral(n)}",
                    pair,
                )
        SupervisionGroup.objects.bulk_create(groups, batch_size=2000)
        members_through.objects.bulk_create(members, batch_size=5000)
        scope_through.objects.bulk_create(scopes, batch_size=5000)

    # -- the big tables, county by county: one statement per chunk --------------------------------------

    # A task's random draws, three 21-bit slices to a hash: one hash per group of names, in this order.
    DRAWS = (
        "ra rt rl", "rk rs0 rst", "rd1 rd2 rstat", "rret rn rkr", "rcx rp rlate",
        "rreq rclose rcancel", "rcu rb rcp", "rprio rleader rnote", "rpace",
    )  # fmt: skip

    def _plan_select(self) -> str:
        """One row per task in [lo, hi] with every choice made for it, and the first ids of its rows in the
        big tables (the chunk's first ids come in as %(coop0)s, %(report0)s, %(event0)s).

        Each level is fenced with OFFSET 0 so PostgreSQL computes a column once and does not paste its
        expression into every place that uses it."""
        s, shape = self.sql, self.shape
        T, U = shape.tasks_per_county, UNITS_PER_COUNTY
        start, end, today = shape.campaign_start, shape.campaign_end, shape.today
        span = (today - start).days  # days on which tasks can have been created: start .. yesterday
        hashes = ", ".join(
            f"hashint8extended(g::bigint, {self.sql.seed * 1000 + n}) AS h{n}" for n in range(len(self.DRAWS))
        )
        fractions = ",\n".join(
            f"((h{n} >> {21 * i}) & 2097151)::float8 / 2097152.0 AS {name}"
            for n, names in enumerate(self.DRAWS)
            for i, name in enumerate(names.split())
        )
        year_end = datetime.date(start.year, 12, 31)
        year_end_sql = f"rd1 < 0.25 AND {s.date(year_end)} BETWEEN start_date AND {s.date(end)}"
        if not start <= year_end <= end:
            year_end_sql = "FALSE"
        cumulative = [sum(ACTION_WEIGHTS[: n + 1]) for n in range(len(ACTION_WEIGHTS) - 1)]
        action_case = (
            "CASE "
            + " ".join(f"WHEN ra < {t:.4f} THEN {i}" for i, t in enumerate(cumulative, start=1))
            + f" ELSE {len(ACTION_WEIGHTS)} END"
        )
        now_e, start_e = self.now_e, self._epoch(start)
        # Statuses by where the deadline falls: cumulative shares of closed, awaiting close-out, in progress,
        # not started (the rest is cancelled). Tasks listed in the last two days have barely begun.
        status_case = f"""
            CASE
              WHEN start_date >= {s.date(today - datetime.timedelta(days=2))}
                   THEN CASE WHEN rstat < 0.7 THEN 'not_started' ELSE 'in_progress' END
              WHEN deadline < {s.date(today)} THEN CASE WHEN rstat < 0.70 THEN 'closed'
                   WHEN rstat < 0.76 THEN 'awaiting_close' WHEN rstat < 0.92 THEN 'in_progress'
                   WHEN rstat < 0.96 THEN 'not_started' ELSE 'cancelled' END
              WHEN deadline <= {s.date(today + datetime.timedelta(days=7))} THEN CASE WHEN rstat < 0.25 THEN 'closed'
                   WHEN rstat < 0.37 THEN 'awaiting_close' WHEN rstat < 0.90 THEN 'in_progress'
                   WHEN rstat < 0.98 THEN 'not_started' ELSE 'cancelled' END
              ELSE CASE WHEN rstat < 0.08 THEN 'closed' WHEN rstat < 0.12 THEN 'awaiting_close'
                   WHEN rstat < 0.70 THEN 'in_progress' WHEN rstat < 0.98 THEN 'not_started' ELSE 'cancelled' END
            END"""
        n_events = """(1 + n_lead + n_coop + (request_e IS NOT NULL)::int + (settle_e IS NOT NULL)::int
                       + (cancel_e IS NOT NULL)::int)"""
        return f"""
        SELECT id, c, sa_id, lead_j, kc, s0, stride, start_date, created_e, county_unit, person0, coop_percent,
            pace, priority, coop_pick, deadline, status, returned, n_lead, n_coop, final_percent, request_e,
            cancel_e, settle_e, window_e, b, rt, rnote, rleader,
            row_number() OVER (PARTITION BY sa_id ORDER BY id) AS number,
            %(coop0)s + sum(kc) OVER w - kc AS coop_base,
            %(report0)s + sum(n_lead + n_coop) OVER w - (n_lead + n_coop) AS report_base,
            %(event0)s + sum({n_events}) OVER w - {n_events} AS event_base,
            {n_events} AS n_events
        FROM (
          SELECT l3.*,
            CASE WHEN status = 'closed' OR returned
                 THEN request_e + 1 + floor(rclose * greatest(0, least(259200, {now_e} - request_e - 2)))::bigint
            END AS settle_e,
            coalesce(request_e, cancel_e, {now_e}) AS window_e,
            floor(rb * (n_lead + 1))::int AS b
          FROM (
            SELECT l2.*,
              CASE WHEN started THEN 1 + floor(rn * 3.4)::int ELSE 0 END AS n_lead,
              CASE WHEN kc > 0 AND rkr < 0.35 THEN 1 ELSE 0 END AS n_coop,
              CASE WHEN status IN ('awaiting_close', 'closed') OR returned THEN 60 + floor(rp * 41)::int
                   WHEN started THEN 5 + floor(rp * 91)::int ELSE 0 END AS final_percent,
              CASE WHEN NOT (status IN ('awaiting_close', 'closed') OR returned) THEN NULL
                   WHEN late THEN deadline_end + floor(rreq * ({now_e} - deadline_end - 1))::bigint
                   ELSE created_e
                        + floor((0.35 + 0.65 * rreq) * (least(deadline_end, {now_e}) - created_e))::bigint
              END AS request_e,
              CASE WHEN status = 'cancelled'
                   THEN created_e + floor((0.3 + 0.7 * rcancel) * ({now_e} - created_e))::bigint END AS cancel_e
            FROM (
              SELECT l1.*, status0 AS status,
                status0 = 'in_progress' AND rret < 0.04 AS returned,
                (status0 = 'cancelled' AND rcx >= 0.5) OR status0 IN ('in_progress', 'awaiting_close', 'closed')
                    AS started,
                -- a late close-out request needs a whole day to have passed since the deadline
                (status0 IN ('awaiting_close', 'closed') OR (status0 = 'in_progress' AND rret < 0.04))
                    AND deadline < {s.date(today - datetime.timedelta(days=1))} AND rlate >= 0.85 AS late,
                {s.day_start("deadline + 1")} AS deadline_end
              FROM (
                SELECT l1.*, {status_case} AS status0 FROM (
                  SELECT l0.*, (c - 1) * {ACTIONS_PER_CAMPAIGN} + a AS sa_id,
                    1 + floor(rcu * greatest(kc, 1))::int AS coop_pick,
                    CASE WHEN rd1 < 0.15 THEN {s.date(end)}
                         WHEN {year_end_sql} THEN {s.date(year_end)}
                         ELSE least(start_date + 7, {s.date(end)})
                              + floor(rd2 * ({s.date(end)} - least(start_date + 7, {s.date(end)}) + 1))::int
                    END AS deadline
                  FROM (
                    SELECT f0.*,
                      {action_case} AS a,
                      1 + floor(rl * {U})::int AS lead_j,
                      CASE WHEN rk < 0.15 THEN 0 WHEN rk < 0.45 THEN 1 WHEN rk < 0.85 THEN 2 ELSE 3 END AS kc,
                      floor(rs0 * {U - 1})::int AS s0,
                      1 + floor(rst * {U - 2})::int AS stride,
                      ({s.date(start)} + floor(pos)::int) AS start_date,
                      {start_e} + floor(pos)::bigint * 86400 + 32400 + floor((pos - floor(pos)) * 32400)::bigint
                          AS created_e,
                      {self.layout.county_unit0} + (c - 1) * {U + 1} AS county_unit,
                      (c - 1) * {PEOPLE_PER_COUNTY} + 1 AS person0,
                      10 + floor(rcp * 91)::int AS coop_percent,
                      0.75 + 0.24 * rpace AS pace,
                      CASE WHEN rprio < 0.1 THEN 0 WHEN rprio < 0.3 THEN 1 ELSE 2 END AS priority
                    FROM (
                      SELECT id, c, {fractions},
                        -- where in the campaign the task was listed, in days from its start: most at launch
                        CASE WHEN k0::float8 / {T} < {LAUNCH_SHARE}
                             THEN {LAUNCH_DAYS} * (k0::float8 / {T}) / {LAUNCH_SHARE}
                             ELSE {LAUNCH_DAYS}
                                  + (k0::float8 / {T} - {LAUNCH_SHARE}) / {1 - LAUNCH_SHARE} * {span - LAUNCH_DAYS}
                        END AS pos
                      FROM (
                        SELECT g AS id, (g - 1) / {T} + 1 AS c, mod(g - 1, {T}) AS k0, {hashes}
                        FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g OFFSET 0
                      ) h OFFSET 0
                    ) f0 OFFSET 0
                  ) l0 OFFSET 0
                ) l1 OFFSET 0
              ) l1 OFFSET 0
            ) l2 OFFSET 0
          ) l3 OFFSET 0
        ) l4
        WINDOW w AS (ORDER BY id)
        """

    # -- expressions over a plan row `p` --

    def _coop_unit(self, i: str, p: str = "p") -> str:
        """The i-th cooperating unit: a stride from the lead unit that is never 0 (nor, UNITS_PER_COUNTY - 1
        being prime, twice the same), so never the lead unit and never a repeat."""
        U = UNITS_PER_COUNTY
        d = f"(1 + mod({p}.s0 + ({i} - 1) * {p}.stride, {U - 1}))"
        return f"({p}.county_unit + 1 + mod({p}.lead_j - 1 + {d}, {U}))"

    def _theme(self, p: str = "p") -> str:
        return f"(%(sa_theme)s::int[])[{p}.sa_id]"

    def _template(self, name: str, p: str = "p") -> str:
        theme = self._theme(p)
        index = (
            f"(%(task_offset)s::int[])[{theme}] + 1 + floor({p}.rt * (%(task_count)s::int[])[{theme}])::int"
        )
        return f"replace((%({name})s::text[])[{index}], '洪洞', (%(stems)s::text[])[{p}.c])"

    def _code(self, p: str = "p") -> str:
        number = f"CASE WHEN {p}.number < 1000 THEN lpad({p}.number::text, 3, '0') ELSE {p}.number::text END"
        return f"((%(codes)s::text[])[{p}.c] || '-' || (%(theme_codes)s::text[])[{self._theme(p)}] || '-' || {number})"

    def _report_time(self, j: str, p: str = "p") -> str:
        """Lead report j's time: evenly spaced from the creation (j = 0) to a share `pace` of the task's
        window (j = n_lead); j = n_lead + 1 is the window's end (close-out request, cancel, or today)."""
        return f"""(CASE WHEN ({j}) > {p}.n_lead THEN {p}.window_e
                 ELSE {p}.created_e
                      + floor(({p}.window_e - {p}.created_e) * ({j}) * {p}.pace / greatest({p}.n_lead, 1))::bigint
                 END)"""

    def _coop_time(self, p: str = "p") -> str:
        """A cooperating unit's report: halfway between lead reports b and b + 1."""
        return f"(({self._report_time(f'{p}.b', p)} + {self._report_time(f'{p}.b + 1', p)}) / 2)"

    @property
    def params(self) -> dict:
        if not hasattr(self, "_params"):
            t, layout = self.texts, self.layout
            self._params = {
                **{key: t[key] for key in ("title", "title_json", "description", "target", "done")},
                **{key: t[key] for key in ("task_offset", "task_count", "done_offset", "done_count")},
                "problems": t["problems"],
                "next_steps": t["next_steps"],
                "stems": [county.stem for county in layout.counties],
                "codes": [county.code for county in layout.counties],
                "theme_codes": [theme.code for theme in THEMES],
                "sa_theme": [
                    THEME_INDEX[code] for county in layout.counties for code in layout.themes_of(county)
                ],
                "close_notes": list(CLOSE_NOTES),
                "close_note": CLOSE_NOTE,
                "return_reasons": list(RETURN_REASONS),
                "cancel_reasons": list(CANCEL_REASONS),
            }
        return self._params

    def _chunk_sql(self) -> str:
        s = self.sql
        r = s.rnd
        n_problems, n_next = len(self.texts["problems"]), len(self.texts["next_steps"])

        # Tasks: the columns task_create sets, then what the later steps changed.
        progress = "CASE WHEN p.status IN ('awaiting_close', 'closed') OR p.returned THEN 100 ELSE p.final_percent END"
        last_report = f"""greatest(CASE WHEN p.n_lead > 0 THEN {self._report_time("p.n_lead")} END,
                                   CASE WHEN p.n_coop > 0 THEN {self._coop_time()} END)"""
        updated = f"greatest(p.created_e, p.request_e, p.settle_e, p.cancel_e, {last_report})"
        leader = f"CASE WHEN p.rleader < 0.1 THEN p.person0 + {XIANZHANG} ELSE p.person0 + 4 + mod(p.lead_j, 4) END"
        closed_late = f"(p.status = 'closed' AND {s.local_day('p.settle_e')} > p.deadline)"

        # Reports: report q of a task (1-based, in time order). The cooperating unit's report, if any,
        # comes right after lead report b; lead report j says ceil(final_percent * j / n_lead) percent.
        coop_unit = self._coop_unit("x.coop_pick", "x")
        lead_percent = "((x.final_percent * x.j + x.n_lead - 1) / x.n_lead)"
        before_lead = "((x.final_percent * (x.j - 1) + x.n_lead - 1) / x.n_lead)"
        coop_progress = "CASE WHEN x.b = 0 THEN 0 ELSE (x.final_percent * x.b + x.n_lead - 1) / x.n_lead END"
        coop_status = "CASE WHEN x.b = 0 THEN 'not_started' ELSE 'in_progress' END"
        report_id = "(x.report_base + x.q)"
        theme = self._theme("x")
        done_index = f"(%(done_offset)s::int[])[{theme}] + 1 + floor({r(report_id, 31)} * (%(done_count)s::int[])[{theme}])::int"
        unit = f"CASE WHEN x.is_coop THEN {coop_unit} ELSE x.lead_unit END"
        reports = f"""
            SELECT {report_id} AS id, x.id AS task_id, {unit} AS unit_id,
                CASE WHEN x.is_coop THEN x.coop_percent ELSE {lead_percent} END AS percent,
                replace((%(done)s::text[])[{done_index}], '洪洞', (%(stems)s::text[])[x.c]) AS done,
                CASE WHEN {r(report_id, 32)} < 0.3
                     THEN (%(problems)s::text[])[1 + floor({r(report_id, 33)} * {n_problems})::int] ELSE '' END
                    AS problems,
                CASE WHEN {r(report_id, 34)} < 0.4
                     THEN (%(next_steps)s::text[])[1 + floor({r(report_id, 35)} * {n_next})::int] ELSE '' END
                    AS next_steps,
                x.person0 + {OFFICIALS} + ({unit}) - x.county_unit AS submitted_by,
                CASE WHEN x.is_coop THEN {self._coop_time("x")} ELSE {self._report_time("x.j", "x")} END AS at_e,
                CASE WHEN x.is_coop THEN {coop_progress} WHEN x.j = 1 THEN 0 ELSE {before_lead} END
                    AS progress_before,
                CASE WHEN x.is_coop THEN {coop_progress} ELSE {lead_percent} END AS progress_after,
                CASE WHEN x.is_coop THEN {coop_status} WHEN x.j = 1 THEN 'not_started' ELSE 'in_progress' END
                    AS status_before,
                CASE WHEN x.is_coop THEN {coop_status} ELSE 'in_progress' END AS status_after,
                x.event_base + 1 + x.q AS event_id
            FROM (
                SELECT p.*, q, p.n_coop = 1 AND q = p.b + 1 AS is_coop,
                    q - (p.n_coop = 1 AND q > p.b + 1)::int AS j
                FROM plan p CROSS JOIN LATERAL generate_series(1, p.n_lead + p.n_coop) q
                OFFSET 0
            ) x"""

        # The timeline: the JSON each service writes, built as text (cheaper than jsonb_build_object).
        coop_list = f"""CASE p.kc WHEN 0 THEN ''
            WHEN 1 THEN {self._coop_unit("1")}::text
            WHEN 2 THEN {self._coop_unit("1")}::text || ', ' || {self._coop_unit("2")}::text
            ELSE {self._coop_unit("1")}::text || ', ' || {self._coop_unit("2")}::text || ', '
                 || {self._coop_unit("3")}::text END"""
        created_after = f"""(
            '{{"code": "' || {self._code()} || '", "title": ' || {self._template("title_json")}
            || ', "lead_unit_id": ' || p.lead_unit || ', "start_date": "' || p.start_date || '", "deadline": "'
            || p.deadline || '", "status": "not_started", "cooperating_unit_ids": [' || {coop_list}
            || '], "responsible_leader_id": ' || p.leader || '}}')::jsonb"""
        return f"""
        WITH plan AS MATERIALIZED (
            SELECT p.*, p.county_unit + p.lead_j AS lead_unit, {leader} AS leader
            FROM ({self._plan_select()}) p
        ), new_tasks AS (
            INSERT INTO tasks_task (id, campaign_id, special_action_id, parent_id, code, title, description,
                target, lead_unit_id, responsible_leader_id, start_date, deadline, original_deadline, priority,
                progress, status, returned, closed_at, closed_late, created_at, updated_at)
            SELECT p.id, p.c, p.sa_id, NULL, {self._code()},
                {self._template("title")}, {self._template("description")}, {self._template("target")},
                p.lead_unit, p.leader, p.start_date, p.deadline, NULL, p.priority, {progress}, p.status,
                p.returned, CASE WHEN p.status = 'closed' THEN {s.ts("p.settle_e")} END, {closed_late},
                {s.ts("p.created_e")}, {s.ts(updated)}
            FROM plan p
        ), new_cooperations AS (
            INSERT INTO tasks_taskcooperation (id, task_id, unit_id, lead_unit_id)
            SELECT p.coop_base + i, p.id, {self._coop_unit("i")}, p.lead_unit
            FROM plan p CROSS JOIN LATERAL generate_series(1, p.kc) i
        ), report AS MATERIALIZED ({reports}
        ), new_reports AS (
            INSERT INTO tasks_progressreport (id, task_id, unit_id, percent, done, problems, next_steps,
                submitted_by_id, submitted_at)
            SELECT r.id, r.task_id, r.unit_id, r.percent, r.done, r.problems, r.next_steps, r.submitted_by,
                {s.ts("r.at_e")}
            FROM report r
        ), new_events AS (
            INSERT INTO tasks_taskevent (id, task_id, kind, actor_id, at, before, after, note)
            SELECT p.event_base + 1, p.id, 'created', p.person0 + {OFFICE}, {s.ts("p.created_e")}, '{{}}',
                {created_after}, ''
            FROM plan p
            UNION ALL
            SELECT r.event_id, r.task_id, 'progress_reported', r.submitted_by, {s.ts("r.at_e")},
                ('{{"progress": ' || r.progress_before || ', "status": "' || r.status_before || '"}}')::jsonb,
                ('{{"progress": ' || r.progress_after || ', "status": "' || r.status_after || '", "report_id": '
                 || r.id || ', "unit_id": ' || r.unit_id || ', "percent": ' || r.percent
                 || ', "attachments": 0}}')::jsonb,
                r.done
            FROM report r
            UNION ALL
            SELECT e.* FROM plan p CROSS JOIN LATERAL (
                SELECT p.event_base + 2 + p.n_lead + p.n_coop, p.id, 'close_requested',
                    p.person0 + {OFFICIALS} + p.lead_j, {s.ts("p.request_e")},
                    ('{{"status": "in_progress", "progress": ' || p.final_percent || ', "returned": false}}')::jsonb,
                    '{{"status": "awaiting_close", "progress": 100, "returned": false}}'::jsonb,
                    (%(close_notes)s::text[])[1 + floor(p.rnote * {len(CLOSE_NOTES)})::int]
                WHERE p.request_e IS NOT NULL
                UNION ALL
                SELECT p.event_base + 3 + p.n_lead + p.n_coop, p.id, 'closed', p.person0 + {OFFICE},
                    {s.ts("p.settle_e")}, '{{"status": "awaiting_close"}}'::jsonb,
                    ('{{"status": "closed", "closed_at": "' || {s.iso_utc("p.settle_e")} || '", "closed_late": '
                     || {closed_late} || '}}')::jsonb,
                    %(close_note)s
                WHERE p.status = 'closed'
                UNION ALL
                SELECT p.event_base + 3 + p.n_lead + p.n_coop, p.id, 'returned', p.person0 + {OFFICE},
                    {s.ts("p.settle_e")}, '{{"status": "awaiting_close", "returned": false}}'::jsonb,
                    '{{"status": "in_progress", "returned": true}}'::jsonb,
                    (%(return_reasons)s::text[])[1 + floor(p.rnote * {len(RETURN_REASONS)})::int]
                WHERE p.returned
                UNION ALL
                SELECT p.event_base + 2 + p.n_lead + p.n_coop, p.id, 'cancelled', p.person0 + {OFFICE},
                    {s.ts("p.cancel_e")},
                    ('{{"status": "' || CASE WHEN p.n_lead > 0 THEN 'in_progress' ELSE 'not_started' END
                     || '"}}')::jsonb,
                    '{{"status": "cancelled"}}'::jsonb,
                    (%(cancel_reasons)s::text[])[1 + floor(p.rnote * {len(CANCEL_REASONS)})::int]
                WHERE p.cancel_e IS NOT NULL
            ) e(id, task_id, kind, actor_id, at, before, after, note)
            WHERE p.request_e IS NOT NULL OR p.cancel_e IS NOT NULL
        )
        SELECT count(*), coalesce(sum(kc), 0), coalesce(sum(n_lead + n_coop), 0), coalesce(sum(n_events), 0)
        FROM plan
        """

    def _fill(
        self, chunks: list[tuple[int, int]], first: tuple[int, int, int], step: Callable[[], None]
    ) -> None:
        """Fill the big tables for `chunks` (consecutive), their rows' first ids being `first` (cooperations,
        reports, events); each chunk's rows continue where the previous chunk's stopped."""
        sql = self._chunk_sql()
        coop0, report0, event0 = first
        with connection.cursor() as cursor:
            for lo, hi in chunks:
                params = {
                    **self.params,
                    "lo": lo,
                    "hi": hi,
                    "coop0": coop0,
                    "report0": report0,
                    "event0": event0,
                }
                cursor.execute(sql, params)
                _tasks, coops, reports, events = cursor.fetchone()
                coop0, report0, event0 = coop0 + coops, report0 + reports, event0 + events
                step()

    def _rows_before(self, task_id: int) -> tuple[int, int, int]:
        """How many cooperations, reports and events the tasks before `task_id` have: the plan alone, without
        writing anything, so a connection can start in the middle and give the same ids."""
        if task_id == 1:
            return 0, 0, 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT coalesce(sum(kc), 0), coalesce(sum(n_lead + n_coop), 0), coalesce(sum(n_events), 0)
                FROM ({self._plan_select()}) p""",
                {**self.params, "lo": 1, "hi": task_id - 1, "coop0": 0, "report0": 0, "event0": 0},
            )
            return tuple(int(n) for n in cursor.fetchone())

    def _step(self, weight: float) -> Callable[[], None]:
        done, lock = [0], threading.Lock()

        def step() -> None:
            with lock:
                done[0] += 1
                label = f"tasks and timeline {done[0]}/{len(self.chunks)}"
            self.progress.advance(weight / len(self.chunks), label)

        return step

    def _fill_sequentially(self, weight: float) -> None:
        self._fill(self.chunks, (0, 0, 0), self._step(weight))

    def _fill_in_parallel(self, weight: float) -> None:
        """`jobs` connections at once, each on a run of consecutive chunks in its own transaction; one that
        starts in the middle first counts the rows before it. The first failure (or Ctrl-C) cancels the
        others' statements."""
        per = -(-len(self.chunks) // self.jobs)
        runs = [self.chunks[n : n + per] for n in range(0, len(self.chunks), per)]
        step, stop = self._step(weight), threading.Event()
        working, lock = [], threading.Lock()

        def fill(chunks: list[tuple[int, int]]) -> None:
            try:
                with transaction.atomic():
                    self._settings()
                    with lock:
                        if stop.is_set():
                            raise ScaleError("stopped")
                        working.append(connection.connection)
                    self._fill(chunks, self._rows_before(chunks[0][0]), step)
            finally:
                connection.close()

        with ThreadPoolExecutor(len(runs), thread_name_prefix="generate_scale") as pool:
            futures = [pool.submit(fill, chunks) for chunks in runs]
            try:
                for future in as_completed(futures):
                    future.result()
            except BaseException:
                with lock:
                    stop.set()
                    for raw in working:
                        raw.cancel()
                raise

    # -- supervision orders, in Python: a few thousand rows through the ORM --

    def _order_drafts(self) -> list[dict]:
        """Per group, a few orders about running tasks in its scope, each taken some way along its path:
        issued → acknowledged → rectified → closed (or sent back: returned)."""
        shape = self.shape
        rng = random.Random(f"generate_scale:{shape.seed}:orders")
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        T = shape.tasks_per_county
        wanted = {}
        for group in self.groups:
            many = (
                shape.orders_per_county_group if len(group["counties"]) == 1 else shape.orders_per_city_group
            )
            candidates = []
            for county in group["counties"]:
                first = (county.index - 1) * T + 1
                candidates += rng.sample(range(first, first + T), min(T, many * 12))
            wanted[group["id"]] = (many, candidates)
        ids = sorted({pk for _many, candidates in wanted.values() for pk in candidates})
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT t.id, t.lead_unit_id, t.status, t.created_at,
                       (SELECT min(c.unit_id) FROM tasks_taskcooperation c WHERE c.task_id = t.id)
                FROM tasks_task t WHERE t.id = ANY(%s)
                """,
                [ids],
            )
            tasks = {row[0]: row for row in cursor.fetchall()}
        running = {TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS}
        earliest = self._epoch(shape.campaign_start + datetime.timedelta(days=5)) + 9 * 3600
        now_e = self.now_e
        drafts = []
        for group in self.groups:
            many, candidates = wanted[group["id"]]
            # An order is about a task that is still running, led by a unit in the group's scope.
            picked = [
                tasks[pk] for pk in candidates if tasks[pk][2] in running and tasks[pk][1] in group["covers"]
            ][:many]
            for task_id, unit_id, _status, created_at, coop_unit in picked:
                issued = rng.randint(max(earliest, int(created_at.timestamp()) + 3600), now_e - 7200)
                stage = rng.choices(("issued", "acknowledged", "rectified", "closed"), (20, 25, 15, 40))[0]
                returned = stage == "acknowledged" and rng.random() < 0.2
                steps = [("issued", issued)]
                path = {
                    "issued": [],
                    "acknowledged": ["acknowledged", "rectified", "returned"]
                    if returned
                    else ["acknowledged"],
                    "rectified": ["acknowledged", "rectified"],
                    "closed": ["acknowledged", "rectified", "closed"],
                }[stage]
                moment = issued
                for kind in path:
                    moment += max(1, int(rng.uniform(0.05, 0.5) * (now_e - moment)))
                    steps.append((kind, moment))
                problem, requirement = rng.choice(ORDER_TEXTS)
                drafts.append(
                    {
                        "group": group,
                        "task": task_id,
                        "unit": unit_id,
                        "coop": coop_unit if coop_unit and rng.random() < 0.3 else None,
                        "issued": issued,
                        "year": datetime.datetime.fromtimestamp(issued, tz).year,
                        "deadline": datetime.datetime.fromtimestamp(issued, tz).date()
                        + datetime.timedelta(days=rng.randint(3, 15)),
                        "urgency": rng.choices((Urgency.BLUE, Urgency.YELLOW, Urgency.RED), (60, 30, 10))[0],
                        "steps": steps,
                        "status": "acknowledged" if returned else stage,
                        "returned": returned,
                        "problem": problem,
                        "requirement": requirement,
                        "rectification": rng.choice(RECTIFICATIONS) if len(steps) >= 3 else "",
                        "verifier": rng.choice(group["members"]),
                    }
                )
        return drafts

    def orders(self) -> None:
        official_of = {
            county.unit(slot): county.official(slot)
            for county in self.layout.counties
            for slot in range(1, UNITS_PER_COUNTY + 1)
        }
        drafts = self._order_drafts()
        # Numbers are handed out in the order the orders were issued: gapless per group and year.
        drafts.sort(key=lambda d: (d["issued"], d["group"]["id"], d["task"]))
        counters: dict[tuple[int, int], int] = {}
        orders, order_events, order_tasks, order_coops, task_events = [], [], [], [], []
        tasks_through = SupervisionOrder.tasks.through
        coops_through = SupervisionOrder.cooperating_units.through

        def moment_of(epoch: int) -> datetime.datetime:
            return datetime.datetime.fromtimestamp(epoch, datetime.UTC)

        for pk, d in enumerate(drafts, start=1):
            group = d["group"]
            key = (group["id"], d["year"])
            counters[key] = sequence = counters.get(key, 0) + 1
            number = order_number(_GroupName(group["name"], group["prefix"]), d["year"], sequence)
            closed = d["steps"][-1][1] if d["status"] == OrderStatus.CLOSED else None
            orders.append(
                SupervisionOrder(
                    id=pk,
                    group_id=group["id"],
                    year=d["year"],
                    sequence=sequence,
                    number=number,
                    unit_id=d["unit"],
                    problem=d["problem"],
                    requirement=d["requirement"],
                    deadline=d["deadline"],
                    urgency=d["urgency"],
                    status=d["status"],
                    returned=d["returned"],
                    issued_by_id=group["leader"],
                    issued_at=moment_of(d["issued"]),
                    rectification=d["rectification"],
                    closed_at=moment_of(closed) if closed else None,
                    updated_at=moment_of(d["steps"][-1][1]),
                )
            )
            order_tasks.append(tasks_through(id=pk, supervisionorder_id=pk, task_id=d["task"]))
            if d["coop"] and d["coop"] != d["unit"]:
                order_coops.append(
                    coops_through(id=len(order_coops) + 1, supervisionorder_id=pk, unit_id=d["coop"])
                )
            for kind, epoch in d["steps"]:
                actor = {
                    "issued": group["leader"],
                    "acknowledged": official_of[d["unit"]],
                    "rectified": official_of[d["unit"]],
                    "returned": d["verifier"],
                    "closed": d["verifier"],
                }[kind]
                note = {"rectified": d["rectification"], "returned": ORDER_RETURN_REASON}.get(kind, "")
                order_events.append(
                    OrderEvent(
                        id=len(order_events) + 1,
                        order_id=pk,
                        kind=kind,
                        actor_id=actor,
                        at=moment_of(epoch),
                        note=note,
                    )
                )
                if kind in (OrderEventKind.ISSUED, OrderEventKind.CLOSED):
                    task_events.append(
                        (
                            epoch,
                            pk,
                            TaskEvent(
                                task_id=d["task"],
                                kind=EventKind.ORDER_ISSUED if kind == "issued" else EventKind.ORDER_CLOSED,
                                actor_id=actor,
                                at=moment_of(epoch),
                                after={"order_id": pk, "number": number},
                            ),
                        )
                    )
        last_steps = [order.updated_at for order in orders]
        SupervisionOrder.objects.bulk_create(orders, batch_size=2000)
        # auto_now overwrote updated_at: put back the time of each order's last step.
        if orders:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE supervision_supervisionorder o SET updated_at = v.at"
                    " FROM unnest(%s::int[], %s::timestamptz[]) v(id, at) WHERE o.id = v.id",
                    [[order.id for order in orders], last_steps],
                )
        tasks_through.objects.bulk_create(order_tasks, batch_size=5000)
        coops_through.objects.bulk_create(order_coops, batch_size=5000)
        OrderEvent.objects.bulk_create(order_events, batch_size=5000)
        OrderSequence.objects.bulk_create(
            [
                OrderSequence(id=n, group_id=group_id, year=year, last=last)
                for n, ((group_id, year), last) in enumerate(sorted(counters.items()), start=1)
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM tasks_taskevent")
            first = cursor.fetchone()[0] + 1
        task_events.sort(key=lambda item: (item[0], item[1]))
        for n, (_epoch, _order, event) in enumerate(task_events):
            event.id = first + n
        TaskEvent.objects.bulk_create([event for _e, _o, event in task_events], batch_size=5000)

    # -- sequences: the next row the app makes gets the next id --

    def sequences(self) -> None:
        """What `manage.py sqlsequencereset` does, for every model: each sequence continues after max(id)."""
        models = apps.get_models(include_auto_created=True)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)


class _GroupName(NamedTuple):
    """What order_number reads of a group."""

    name: str
    order_prefix: str


def _numeral(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMERALS[n - 11]
    tens, ones = divmod(n, 10)
    return CHINESE_NUMERALS[tens - 1] + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


def generate(shape: Shape, *, reset: bool = False, stderr=None, jobs: int = 1) -> dict[str, int]:
    """Build the province of `shape` with `jobs` connections filling the big tables; refuses a database
    with data unless `reset`. Returns row counts."""
    check_database()
    left = Unindexed.left_behind()
    if left and not reset:
        raise ScaleError(
            "an earlier generate_scale run was killed half-way and left the task tables without their "
            "indexes and constraints: run it again with --reset, which empties the database and puts them back"
        )
    if reset:
        reset_database()
        if left:
            with transaction.atomic():
                left.restore(lambda label: None)
                left.forget()
    else:
        full = tables_with_rows()
        if full:
            raise ScaleError(
                "the database already has data (in "
                + ", ".join(full[:5])
                + (" …" if len(full) > 5 else "")
                + "); generate_scale fills an empty database only. Use --reset to TRUNCATE every table "
                "first (everything in it is lost)."
            )
    return Generator(shape, stderr=stderr, jobs=jobs).run()
