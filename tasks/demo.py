"""The demo county: 洪洞县's Winter Action, built from the county paper of late November 2023.

`load_demo()` builds it through the services, like any other writer, inside one
transaction, and does nothing when the demo campaign already exists. The source is
`shared/domain/000_18a6dc4344faa821.txt`: its special actions, units and sentences
become the units, special actions and tasks below. People are named by position,
never by the names in the article.

Dates are offsets in days from today, so "today" always falls inside the campaign.
Today stands for 2023-12-01, the day after the 11-30 推进会: the campaign started
25 days ago (early November) and ends 60 days from now (before the Spring Festival);
year end is about 30 days away. Article dates map to 11-17 = -14, 11-19 = -12,
11-24 = -7, 11-27 = -4, 11-30 = -1.
"""

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from supervision.models import InspectionKind, SupervisionGroup, Urgency
from supervision.services import group_create, inspection_record, order_acknowledge, order_issue

from . import services
from .models import (
    Campaign,
    ChargeKind,
    ExtensionRequest,
    Instruction,
    Milestone,
    Person,
    Priority,
    ProgressReport,
    Role,
    SpecialAction,
    Task,
    TaskStatus,
    Unit,
    UnitKind,
)

DEMO_PASSWORD = "winteraction"
CITY = "临汾市"
COUNTY = "洪洞县"
CAMPAIGN_NAME = "洪洞县“冬季行动”"
CAMPAIGN_CODE = "HD"
CAMPAIGN_START = -25
CAMPAIGN_END = 60

URGENT, HIGH, NORMAL = Priority.URGENT, Priority.HIGH, Priority.NORMAL


class DemoConflict(Exception):
    """The database holds rows that clash with the demo (e.g. a user named `office`)."""


# ---- Units -------------------------------------------------------------------------------


class UnitSpec(NamedTuple):
    slug: str  # also the username of the unit's official
    name: str
    kind: str
    parent: str  # the parent unit's name
    full_name: str = ""
    official: str = ""  # the official's position; a default by kind otherwise


CITY_UNITS = (
    UnitSpec("lf_swb", "市委办", UnitKind.DEPARTMENT, CITY, "中共临汾市委办公室"),
    UnitSpec("lf_fgw", "市发改委", UnitKind.DEPARTMENT, CITY, "临汾市发展和改革委员会"),
)

D, T, Z, E = UnitKind.DEPARTMENT, UnitKind.TOWNSHIP, UnitKind.DEV_ZONE, UnitKind.ENTERPRISE

COUNTY_UNITS = (
    # County departments (县直单位)
    UnitSpec("xwb", "县委办", D, COUNTY, "中共洪洞县委办公室", "综合科科长"),
    UnitSpec("zfb", "县政府办", D, COUNTY, "洪洞县人民政府办公室", "综合科科长"),
    UnitSpec("xcb", "县委宣传部", D, COUNTY, "中共洪洞县委宣传部"),
    UnitSpec("wmb", "县文明办", D, COUNTY, "洪洞县精神文明建设指导委员会办公室", "创建科科长"),
    UnitSpec("zfw", "县委政法委", D, COUNTY, "中共洪洞县委政法委员会"),
    UnitSpec("fagai", "县发改局", D, COUNTY, "洪洞县发展和改革局", "投资科科长"),
    UnitSpec("tongji", "县统计局", D, COUNTY, "洪洞县统计局", "综合核算股股长"),
    UnitSpec("gongxin", "县工信局", D, COUNTY, "洪洞县工业和信息化局"),
    UnitSpec("nengyuan", "县能源局", D, COUNTY, "洪洞县能源局", "煤炭安全股股长"),
    UnitSpec("yingji", "县应急管理局", D, COUNTY, "洪洞县应急管理局", "综合股股长"),
    UnitSpec("xfjy", "县消防救援大队", D, COUNTY, "洪洞县消防救援大队", "防火监督员"),
    UnitSpec("wenlv", "县文旅局", D, COUNTY, "洪洞县文化和旅游局", "产业股股长"),
    UnitSpec("wenwu", "县文物局", D, COUNTY, "洪洞县文物保护中心"),
    UnitSpec("zhujian", "县住建局", D, COUNTY, "洪洞县住房和城乡建设管理局", "城建股股长"),
    UnitSpec("chengguan", "县城管局", D, COUNTY, "洪洞县城市管理局"),
    UnitSpec("jiaotong", "县交通局", D, COUNTY, "洪洞县交通运输局"),
    UnitSpec("ziran", "县自然资源局", D, COUNTY, "洪洞县自然资源局", "执法大队队长"),
    UnitSpec("sthj", "县生态环境局", D, COUNTY, "临汾市生态环境局洪洞分局", "大气股股长"),
    UnitSpec("shuili", "县水利局", D, COUNTY, "洪洞县水利局"),
    UnitSpec("xinfang", "县信访局", D, COUNTY, "洪洞县信访局", "督查股股长"),
    UnitSpec("gongan", "县公安局", D, COUNTY, "洪洞县公安局", "指挥中心民警"),
    UnitSpec("shichang", "县市场监管局", D, COUNTY, "洪洞县市场监督管理局"),
    UnitSpec("nongye", "县农业农村局", D, COUNTY, "洪洞县农业农村局", "产业股股长"),
    UnitSpec("xczx", "县乡村振兴局", D, COUNTY, "洪洞县乡村振兴局", "监测股股长"),
    UnitSpec("caizheng", "县财政局", D, COUNTY, "洪洞县财政局"),
    UnitSpec("shangwu", "县商务局", D, COUNTY, "洪洞县商务局"),
    UnitSpec("shenpi", "县行政审批局", D, COUNTY, "洪洞县行政审批服务管理局"),
    UnitSpec("jiaoyu", "县教育局", D, COUNTY, "洪洞县教育科技局"),
    UnitSpec("weijian", "县卫健委", D, COUNTY, "洪洞县卫生健康委员会"),
    UnitSpec("minzheng", "县民政局", D, COUNTY, "洪洞县民政局"),
    UnitSpec("renshe", "县人社局", D, COUNTY, "洪洞县人力资源和社会保障局"),
    UnitSpec("fulian", "县妇联", D, COUNTY, "洪洞县妇女联合会"),
    UnitSpec("rongmei", "县融媒体中心", D, COUNTY, "洪洞县融媒体中心", "新闻部主任"),
    # Townships (乡镇): the nine towns and seven townships of 洪洞
    UnitSpec("dhs", "大槐树镇", T, COUNTY, "洪洞县大槐树镇"),
    UnitSpec("ganting", "甘亭镇", T, COUNTY, "洪洞县甘亭镇"),
    UnitSpec("quting", "曲亭镇", T, COUNTY, "洪洞县曲亭镇"),
    UnitSpec("subao", "苏堡镇", T, COUNTY, "洪洞县苏堡镇"),
    UnitSpec("gss", "广胜寺镇", T, COUNTY, "洪洞县广胜寺镇"),
    UnitSpec("mingjiang", "明姜镇", T, COUNTY, "洪洞县明姜镇"),
    UnitSpec("zhaocheng", "赵城镇", T, COUNTY, "洪洞县赵城镇"),
    UnitSpec("wanan", "万安镇", T, COUNTY, "洪洞县万安镇"),
    UnitSpec("ljy", "刘家垣镇", T, COUNTY, "洪洞县刘家垣镇"),
    UnitSpec("yandi", "淹底乡", T, COUNTY, "洪洞县淹底乡"),
    UnitSpec("xts", "兴唐寺乡", T, COUNTY, "洪洞县兴唐寺乡"),
    UnitSpec("dicun", "堤村乡", T, COUNTY, "洪洞县堤村乡"),
    UnitSpec("xincun", "辛村乡", T, COUNTY, "洪洞县辛村乡"),
    UnitSpec("longma", "龙马乡", T, COUNTY, "洪洞县龙马乡"),
    UnitSpec("shanmu", "山目乡", T, COUNTY, "洪洞县山目乡"),
    UnitSpec("zuomu", "左木乡", T, COUNTY, "洪洞县左木乡"),
    # The development zone
    UnitSpec("kfq", "洪洞经开区", Z, COUNTY, "洪洞经济技术开发区", "经济发展部部长"),
    # Key enterprises: under their township where the article places them, else under the county
    UnitSpec("wanan_coal", "万安煤业", E, "万安镇", "山西洪洞万安煤业有限公司", "安全副矿长"),
    UnitSpec("jiananda", "基安达煤矿", E, COUNTY, "基安达煤矿", "安全副矿长"),
    UnitSpec("yuechang", "悦昌煤矿", E, COUNTY, "悦昌煤矿", "矿长助理"),
    UnitSpec("zhangduan", "张端煤矿", E, COUNTY, "张端煤矿", "矿长助理"),
    UnitSpec("dhs_park", "大槐树景区", E, "大槐树镇", "大槐树寻根祭祖园景区", "营销部经理"),
    UnitSpec("jianyu", "明代监狱景区", E, "大槐树镇", "洪洞明代监狱景区", "负责人"),
    UnitSpec("gss_park", "广胜寺景区", E, "广胜寺镇", "霍太山(广胜寺)文化景区", "负责人"),
    UnitSpec("zhongzhen", "兴唐寺中镇文化园", E, "兴唐寺乡", "兴唐寺中镇文化园景区", "负责人"),
    UnitSpec("chengtou", "县城投公司", E, COUNTY, "洪洞县城市建设投资有限公司", "工程部经理"),
)

DEFAULT_OFFICIAL = {D: "办公室主任", T: "党政办主任", Z: "办公室主任", E: "办公室主任"}


# ---- People --------------------------------------------------------------------------------


class PersonSpec(NamedTuple):
    username: str
    unit: str  # unit name
    role: str
    position: str
    about: str  # what the account is for, shown in DEMO_ACCOUNTS


OFFICES = (
    PersonSpec(
        "office", "县委办", Role.OFFICE, "督查室主任", "县委督查室主任:下达任务、审批延期、销号(督查室)"
    ),
    PersonSpec("zfb_office", "县政府办", Role.OFFICE, "督查室副主任", "县政府督查室副主任(督查室)"),
    PersonSpec("lf_office", CITY, Role.OFFICE, "市委督查室主任", "临汾市委督查室主任:组建市督导检查组"),
)

LEADERS = (
    PersonSpec("shuji", COUNTY, Role.LEADER, "市委常委、县委书记", "县委书记(领导)"),
    PersonSpec("leader", COUNTY, Role.LEADER, "县委副书记、县长", "县长:全县态势、领导批示(领导)"),
    PersonSpec("changwu", COUNTY, Role.LEADER, "县委常委、常务副县长", "常务副县长,分管经济运行、项目(领导)"),
    PersonSpec("xwbzr", COUNTY, Role.LEADER, "县委常委、副县长、县委办主任", "县委办主任(领导)"),
    PersonSpec(
        "fxz_gongye",
        COUNTY,
        Role.LEADER,
        "副县长(分管工业、能源、应急管理、开发区)",
        "分管安全生产的副县长(领导)",
    ),
    PersonSpec(
        "fxz_chengjian",
        COUNTY,
        Role.LEADER,
        "副县长(分管住建、城管、交通、自然资源)",
        "分管城建的副县长(领导)",
    ),
    PersonSpec(
        "fxz_huanbao",
        COUNTY,
        Role.LEADER,
        "副县长(分管生态环境、水利、市场监管)",
        "分管生态环保的副县长(领导)",
    ),
    PersonSpec(
        "fxz_wenjiao", COUNTY, Role.LEADER, "副县长(分管文旅、文物、教育、卫健)", "分管文旅的副县长(领导)"
    ),
    PersonSpec(
        "fxz_nongye",
        COUNTY,
        Role.LEADER,
        "副县长(分管农业农村、乡村振兴、民政、人社)",
        "分管农业的副县长(领导)",
    ),
    PersonSpec("zfw_sj", COUNTY, Role.LEADER, "县委常委、政法委书记", "政法委书记,分管信访稳定(领导)"),
    PersonSpec("xcb_bz", COUNTY, Role.LEADER, "县委常委、宣传部部长", "宣传部部长,分管创文(领导)"),
)

INSPECTORS = (
    PersonSpec(
        "dd6_zuzhang", CITY, Role.INSPECTOR, "市“冬季行动”第六督导检查组组长", "市第六督导检查组组长(督导组)"
    ),
    PersonSpec(
        "inspector",
        "市委办",
        Role.INSPECTOR,
        "市“冬季行动”第六督导检查组成员",
        "市第六督导检查组成员(督导组)",
    ),
    PersonSpec(
        "dd6_zuyuan",
        "市发改委",
        Role.INSPECTOR,
        "市“冬季行动”第六督导检查组成员",
        "市第六督导检查组成员,经济运行(督导组)",
    ),
    PersonSpec(
        "ldb_zuzhang",
        "县委办",
        Role.INSPECTOR,
        "两办联合督查组组长(县委办副主任)",
        "县两办联合督查组组长(督导组)",
    ),
    PersonSpec(
        "ldb_zuyuan", "县政府办", Role.INSPECTOR, "两办联合督查组成员", "县两办联合督查组成员(督导组)"
    ),
)

# A second official for 万安镇: the township's safety station reports on the safety tasks.
EXTRA_OFFICIALS = (
    PersonSpec("wanan2", "万安镇", Role.UNIT_OFFICIAL, "应急管理站站长", "万安镇应急管理站站长(单位填报员)"),
)

# (leader username, kind, unit names): 分管 departments, 包联 townships
CHARGES = (
    ("changwu", ChargeKind.IN_CHARGE, ("县发改局", "县统计局", "县财政局", "县商务局", "县行政审批局")),
    ("changwu", ChargeKind.LIAISON, ("大槐树镇", "甘亭镇")),
    ("xwbzr", ChargeKind.IN_CHARGE, ("县委办", "县政府办")),
    (
        "fxz_gongye",
        ChargeKind.IN_CHARGE,
        ("县工信局", "县能源局", "县应急管理局", "县消防救援大队", "洪洞经开区"),
    ),
    ("fxz_gongye", ChargeKind.LIAISON, ("万安镇", "左木乡")),
    (
        "fxz_chengjian",
        ChargeKind.IN_CHARGE,
        ("县住建局", "县城管局", "县交通局", "县自然资源局", "县城投公司"),
    ),
    ("fxz_chengjian", ChargeKind.LIAISON, ("曲亭镇", "苏堡镇")),
    ("fxz_huanbao", ChargeKind.IN_CHARGE, ("县生态环境局", "县水利局", "县市场监管局")),
    ("fxz_huanbao", ChargeKind.LIAISON, ("明姜镇", "辛村乡")),
    ("fxz_wenjiao", ChargeKind.IN_CHARGE, ("县文旅局", "县文物局", "县教育局", "县卫健委")),
    ("fxz_wenjiao", ChargeKind.LIAISON, ("广胜寺镇", "兴唐寺乡")),
    ("fxz_nongye", ChargeKind.IN_CHARGE, ("县农业农村局", "县乡村振兴局", "县民政局", "县人社局")),
    ("fxz_nongye", ChargeKind.LIAISON, ("赵城镇", "刘家垣镇", "龙马乡")),
    ("zfw_sj", ChargeKind.IN_CHARGE, ("县委政法委", "县信访局", "县公安局")),
    ("zfw_sj", ChargeKind.LIAISON, ("淹底乡", "堤村乡")),
    ("xcb_bz", ChargeKind.IN_CHARGE, ("县委宣传部", "县文明办", "县融媒体中心", "县妇联")),
    ("xcb_bz", ChargeKind.LIAISON, ("山目乡",)),
)


# ---- Special actions -------------------------------------------------------------------------


class ActionSpec(NamedTuple):
    code: str
    name: str
    leader: str  # username of the lead leader
    lead: str  # slug of the lead unit
    task_force: tuple[str, ...]  # slugs of units whose officials sit on the task force


ACTIONS = (
    ActionSpec(
        "JJ", "经济运行专项行动", "changwu", "fagai", ("fagai", "tongji", "gongxin", "zhujian", "kfq")
    ),
    ActionSpec("AQ", "安全生产专项行动", "fxz_gongye", "yingji", ("yingji", "nengyuan", "xfjy", "ziran")),
    ActionSpec("XM", "项目谋划专项行动", "changwu", "fagai", ("fagai", "gongxin", "shenpi", "kfq")),
    ActionSpec("KF", "开发区标准地、标准厂房建设专项行动", "fxz_gongye", "kfq", ("kfq", "ziran", "shenpi")),
    ActionSpec(
        "WL", "文旅产业提升专项行动", "fxz_wenjiao", "wenlv", ("wenlv", "dhs_park", "gss_park", "xts")
    ),
    ActionSpec(
        "SP", "城市“双品质”建设专项行动", "fxz_chengjian", "zhujian", ("zhujian", "chengguan", "chengtou")
    ),
    ActionSpec("XF", "信访稳定专项行动", "zfw_sj", "xinfang", ("xinfang", "zfw", "gongan")),
    ActionSpec("ST", "生态环保专项行动", "fxz_huanbao", "sthj", ("sthj", "shuili", "kfq", "nengyuan")),
    ActionSpec("CW", "创建全国文明城市专项行动", "xcb_bz", "wmb", ("wmb", "xcb", "chengguan", "dhs")),
    ActionSpec("XC", "巩固衔接专项行动", "fxz_nongye", "xczx", ("xczx", "minzheng", "zhaocheng", "ljy")),
    ActionSpec("QW", "“千万工程”专项行动", "fxz_nongye", "nongye", ("nongye", "xczx", "shanmu")),
    ActionSpec("LT", "农业产业化龙头企业培育专项行动", "fxz_nongye", "nongye", ("nongye", "shangwu")),
    ActionSpec(
        "MK", "停产煤矿复工复产专项行动", "fxz_gongye", "nengyuan", ("nengyuan", "yingji", "yuechang")
    ),
)


# ---- Tasks -----------------------------------------------------------------------------------


class R(NamedTuple):
    """A progress report by the lead unit's official, `day` days from today."""

    day: int
    percent: int
    done: str
    problems: str = ""
    next_steps: str = ""


class C(NamedTuple):
    """A progress report by a cooperating unit's official."""

    unit: str
    day: int
    percent: int
    done: str


class M(NamedTuple):
    """A milestone (节点), due `due` days from today, completed on `done` if given."""

    title: str
    due: int
    done: int | None = None


@dataclass(frozen=True)
class TaskSpec:
    key: str
    action: str
    title: str
    lead: str
    start: int
    deadline: int
    description: str
    target: str
    coop: tuple[str, ...] = ()
    leader: str = ""  # the special action's lead leader when empty
    priority: int = NORMAL
    parent: str = ""
    reports: tuple[R, ...] = ()
    coop_reports: tuple[C, ...] = ()
    milestones: tuple[M, ...] = ()
    # "" (stays open), "awaiting" (close requested), "closed", "returned", "cancelled"
    outcome: str = ""
    outcome_note: str = ""
    extension: tuple[str, int, str] | None = None  # ("pending" | "approved", new deadline, reason)
    instruction: tuple[str, str] | None = None  # (leader username, text)


TASKS = (
    # ---- 经济运行 ----------------------------------------------------------------------------
    TaskSpec(
        key="jj_fai",
        action="JJ",
        title="固定资产投资全年目标攻坚",
        lead="fagai",
        start=-25,
        deadline=30,
        description="对照全年固定资产投资目标,按照市经济运行联席会议办公室分解的月度建议目标,逐项目分析预计完成情况,补短板、强弱项。",
        target="确保全年固定资产投资增速达到市定目标,11月、12月月度目标全部完成。",
        coop=("tongji", "zhujian", "kfq"),
        priority=HIGH,
        reports=(
            R(
                -21,
                20,
                "梳理全县在库项目312个,建立投资月度调度台账。",
                "部分项目入统资料不全。",
                "逐项目对接入统资料。",
            ),
            R(-14, 40, "召开固定资产投资调度会,11个项目新增入统。"),
            R(
                -7,
                55,
                "完成11月投资预计测算,缺口约2.3亿元,已明确8个补缺项目。",
                "个别项目资金到位慢。",
                "12月上旬前完成补缺项目入统。",
            ),
        ),
        milestones=(M("完成项目摸底和调度台账", -18, -19), M("12月投资入统", 28)),
    ),
    TaskSpec(
        key="jj_fai_11",
        action="JJ",
        title="11月份固定资产投资月度目标",
        lead="fagai",
        start=-25,
        deadline=-1,
        description="按照《关于分解11月份主要经济指标建议目标的通知》,完成11月份固定资产投资月度目标。",
        target="11月份固定资产投资完成额达到分解目标,数据经统计局审定。",
        coop=("tongji",),
        parent="jj_fai",
        priority=HIGH,
        reports=(
            R(-20, 40, "对接11月计划入统项目23个。"),
            R(-10, 75, "19个项目完成入统资料报送。"),
            R(
                -2,
                95,
                "月度投资基本完成,待统计局最终审定。",
                "2个项目11月投资额待统计部门核实。",
                "配合统计局完成数据审定。",
            ),
        ),
    ),
    TaskSpec(
        key="jj_fai_12",
        action="JJ",
        title="12月份固定资产投资月度目标",
        lead="fagai",
        start=-1,
        deadline=30,
        description="倒排12月份入统项目清单,逐项目明确责任人和入统时间。",
        target="12月份固定资产投资完成分解目标,全年目标收官。",
        coop=("tongji", "zhujian"),
        parent="jj_fai",
        priority=HIGH,
    ),
    TaskSpec(
        key="jj_gyzjz",
        action="JJ",
        title="规上工业增加值月度目标",
        lead="gongxin",
        start=-25,
        deadline=30,
        description="紧盯规上工业企业生产经营,一企一策帮扶重点企业满产达产,做好月度增加值预计。",
        target="规上工业增加值增速达到市定目标,新增规上工业企业5家。",
        coop=("tongji", "kfq", "nengyuan"),
        priority=HIGH,
        reports=(
            R(-18, 25, "走访重点工业企业42家,建立问题清单。"),
            R(-11, 40, "协调解决企业用电、物流问题7个。"),
            R(
                -4,
                50,
                "新增规上工业企业2家完成入库申报。",
                "焦化企业限产影响增速。",
                "推动3家企业12月升规入统。",
            ),
        ),
        coop_reports=(C("tongji", -5, 50, "完成11月规上工业快报审核。"),),
    ),
    TaskSpec(
        key="jj_jzy",
        action="JJ",
        title="建筑业产值月度目标",
        lead="zhujian",
        start=-25,
        deadline=30,
        description="梳理在建项目和建筑业企业,督促资质以上企业应统尽统,协调外地施工企业在洪洞设立分公司。",
        target="建筑业产值达到全年目标任务。",
        coop=("tongji",),
        reports=(
            R(-17, 10, "摸排全县资质以上建筑业企业36家。"),
            R(
                -6,
                20,
                "2家企业完成资质升级申报。",
                "部分外地施工企业未在本地入统。",
                "逐家对接外地施工企业。",
            ),
        ),
        instruction=("changwu", "建筑业产值明显滞后,住建局要逐企业对接,统计局配合,下周调度会专题汇报。"),
    ),
    TaskSpec(
        key="jj_income",
        action="JJ",
        title="城乡居民人均可支配收入增长目标",
        lead="tongji",
        start=-25,
        deadline=30,
        description="分析城镇、农村居民人均可支配收入构成,聚焦工资性、经营性收入找准差距。",
        target="城镇居民、农村居民人均可支配收入增速不低于全市平均水平。",
        coop=("nongye", "renshe"),
        reports=(R(-15, 30, "完成住户调查样本户走访。"), R(-5, 50, "形成收入增长分析报告,提出增收措施8条。")),
    ),
    TaskSpec(
        key="jj_kfq",
        action="JJ",
        title="开发区主要经济指标攻坚",
        lead="kfq",
        start=-25,
        deadline=30,
        description="对照开发区考核指标,逐项分析营业收入、工业增加值、固定资产投资、实际利用外资等指标。",
        target="开发区各项考核指标在全市争先进位。",
        coop=("tongji", "fagai"),
        reports=(
            R(-20, 20, "完成开发区指标分解。"),
            R(-13, 40, "召开入区企业指标调度会。"),
            R(-6, 60, "营业收入指标已完成年度目标的92%。"),
        ),
    ),
    TaskSpec(
        key="jj_zuotan",
        action="JJ",
        title="落实第六督导检查组经济运行座谈会要求",
        lead="fagai",
        start=-1,
        deadline=5,
        description="按照第六督导检查组经济运行座谈会要求,准确掌握经济运行数据,逐项分析预计完成情况并形成报告。",
        target="形成全县经济运行分析报告,报市经济运行联席会议办公室。",
        coop=("tongji", "gongxin", "caizheng"),
        priority=URGENT,
    ),
    # ---- 安全生产 ----------------------------------------------------------------------------
    TaskSpec(
        key="aq_pc",
        action="AQ",
        title="安全隐患集中排查整治",
        lead="yingji",
        start=-25,
        deadline=30,
        description="扎实开展安全意识大教育、安全隐患大排查、安全问题大整治、安全责任大落实活动,加强岁末年初重点行业(领域)安全监管。",
        target="重点行业领域隐患排查全覆盖,重大事故隐患动态清零,坚决遏制安全事故发生。",
        coop=("nengyuan", "xfjy", "shichang", "jiaotong"),
        priority=URGENT,
        reports=(
            R(-20, 30, "制定“四大”活动实施方案,召开全县安全生产部署会。"),
            R(-13, 50, "排查企业386家,发现隐患612条,已整改498条。"),
            R(
                -4,
                60,
                "完成乡镇交叉检查,对5家企业立案处罚。",
                "少数企业整改资金不到位。",
                "开展整改情况复查。",
            ),
        ),
        coop_reports=(
            C("nengyuan", -12, 55, "完成全县煤矿隐患排查。"),
            C("xfjy", -8, 50, "检查人员密集场所131家。"),
        ),
    ),
    TaskSpec(
        key="aq_pc_wanan",
        action="AQ",
        title="万安镇安全隐患大排查",
        lead="wanan",
        start=-20,
        deadline=5,
        description="对辖区煤矿、非煤矿山、加油站、人员密集场所和自建房开展全覆盖排查。",
        target="辖区隐患排查全覆盖,一般隐患整改率100%。",
        coop=("yingji",),
        parent="aq_pc",
        priority=HIGH,
        reports=(
            R(-17, 30, "成立排查专班,对辖区37家企业逐家排查。"),
            R(-10, 60, "发现隐患53条,已整改41条。"),
            R(-3, 75, "完成自建房排查218户。", "2处自建房需专业机构鉴定。", "联系鉴定机构,月底前完成整改。"),
        ),
        milestones=(M("企业排查全覆盖", -8, -9), M("隐患整改复查", 4)),
    ),
    TaskSpec(
        key="aq_pc_shanmu",
        action="AQ",
        title="山目乡安全隐患大排查",
        lead="shanmu",
        start=-20,
        deadline=5,
        description="对辖区矿山、地质灾害点、人员密集场所开展全覆盖排查。",
        target="辖区隐患排查全覆盖,一般隐患整改率100%。",
        coop=("yingji",),
        parent="aq_pc",
        reports=(
            R(-15, 20, "制定排查方案,排查企业9家。"),
            R(-6, 40, "发现隐患17条,已整改6条。", "乡安监力量不足,山区点位分散。", "请求县应急局派员协助。"),
        ),
    ),
    TaskSpec(
        key="aq_sanwei",
        action="AQ",
        title="安全知识培训和反“三违”教育",
        lead="yingji",
        start=-15,
        deadline=20,
        description="强化安全知识培训和反“三违”教育,提升企业人员防灾减灾意识与应急处置水平。",
        target="重点企业主要负责人、安全管理人员培训全覆盖。",
        coop=("nengyuan",),
        reports=(
            R(-10, 30, "举办煤矿安全管理人员培训班2期,培训286人次。"),
            R(-3, 50, "开展反“三违”警示教育12场。"),
        ),
    ),
    TaskSpec(
        key="aq_sandang",
        action="AQ",
        title="煤矿“三堂一舍”全覆盖检查",
        lead="nengyuan",
        start=-20,
        deadline=-5,
        description="对全县生产煤矿澡堂、食堂、会议室(学习室)、宿舍及井下设施设备开展全覆盖检查。",
        target="全县煤矿“三堂一舍”检查全覆盖,问题整改到位。",
        coop=("yingji", "wanan_coal", "jiananda"),
        priority=HIGH,
        reports=(
            R(-18, 40, "完成万安煤业、基安达煤矿等6座煤矿检查。"),
            R(-12, 70, "完成全部煤矿检查,发现问题23条。"),
            R(-6, 85, "已整改20条。", "基安达煤矿宿舍消防设施更换设备未到货。", "设备到货后立即安装并复查。"),
            R(-2, 100, "设备安装完毕,复查合格,全部问题整改到位。"),
        ),
        coop_reports=(C("wanan_coal", -10, 100, "澡堂、食堂问题整改完毕。"),),
        outcome="closed",
        outcome_note="逾期5天完成,已复查合格。",
    ),
    TaskSpec(
        key="aq_xiaofang",
        action="AQ",
        title="人员密集场所消防安全排查整治",
        lead="xfjy",
        start=-20,
        deadline=10,
        description="对商场、宾馆、医院、学校、养老机构等人员密集场所开展消防安全排查,紧盯电动自行车充电和冬季用火用电。",
        target="人员密集场所排查全覆盖,重大火灾隐患全部整改。",
        coop=("yingji", "shichang", "zhujian"),
        priority=HIGH,
        reports=(
            R(-16, 30, "检查人员密集场所131家。"),
            R(-9, 55, "督促整改隐患214处,查封2处。"),
            R(-2, 70, "开展消防安全宣传进社区28场。"),
        ),
    ),
    TaskSpec(
        key="aq_dizhi",
        action="AQ",
        title="地质灾害隐患点巡查",
        lead="ziran",
        start=-20,
        deadline=20,
        description="加强对地质灾害易发区的巡查,落实群测群防员,时刻保持警惕。",
        target="全县地质灾害隐患点巡查全覆盖,群测群防责任落实到人。",
        coop=("shanmu", "wanan", "zuomu"),
        reports=(R(-14, 40, "完成54处隐患点首轮巡查。"), R(-5, 60, "完成群测群防员培训。")),
        coop_reports=(C("wanan", -6, 60, "辖区5处隐患点落实巡查责任人。"),),
    ),
    TaskSpec(
        key="aq_siwa",
        action="AQ",
        title="严厉打击私挖盗采",
        lead="ziran",
        start=-20,
        deadline=-3,
        description="加强严厉打击私挖盗采工作宣传,调动群众积极性,强化人防、物防、技防,严防辖区内出现私挖盗采。",
        target="私挖盗采线索全部核查,露头就打。",
        coop=("gongan", "nengyuan", "shanmu", "wanan"),
        priority=HIGH,
        reports=(
            R(-14, 30, "开展联合巡查8次,核查线索6条。"),
            R(-6, 50, "查处私挖盗采案件1起。", "山区巡查覆盖不足,技防设备未到位。", "加装视频监控点位。"),
        ),
    ),
    TaskSpec(
        key="aq_wenwu",
        action="AQ",
        title="文物安全检查(万圣寺等)",
        lead="wenwu",
        start=-15,
        deadline=15,
        description="构建文物安全机制,做好文物保护宣传、文物安全培训及各项基础工作。",
        target="全县文物保护单位安全检查全覆盖,隐患整改到位。",
        coop=("wanan", "xfjy"),
        reports=(
            R(-10, 60, "完成万圣寺等42处文物保护单位检查。"),
            R(-3, 100, "隐患全部整改,开展文物安全培训1期。"),
        ),
        outcome="closed",
    ),
    TaskSpec(
        key="aq_jiaotong",
        action="AQ",
        title="岁末年初道路交通安全整治",
        lead="jiaotong",
        start=-10,
        deadline=50,
        description="针对元旦、春节和春运,开展道路运输企业和重点车辆安全整治。",
        target="春运期间不发生较大以上道路交通事故。",
        coop=("gongan",),
    ),
    TaskSpec(
        key="aq_ranqi",
        action="AQ",
        title="燃气安全专项排查",
        lead="zhujian",
        start=-18,
        deadline=12,
        description="对城镇燃气企业、餐饮场所和居民用户开展燃气安全排查。",
        target="燃气安全隐患动态清零。",
        coop=("shichang", "xfjy"),
        reports=(
            R(-14, 40, "排查餐饮场所燃气使用612家。"),
            R(-7, 80, "督促安装燃气报警器203家。"),
            R(-2, 100, "隐患全部整改完毕。"),
        ),
        outcome="awaiting",
        outcome_note="燃气安全隐患已全部整改,申请销号。",
    ),
    # ---- 停产煤矿复工复产 --------------------------------------------------------------------
    TaskSpec(
        key="mk_yuechang",
        action="MK",
        title="悦昌煤矿复工复产",
        lead="nengyuan",
        start=-25,
        deadline=35,
        description="全面了解掌握影响悦昌煤矿复工复产的问题,有针对性地帮助协调解决。",
        target="悦昌煤矿完成复工复产验收,早日复工投产。",
        coop=("yuechang", "yingji", "ziran"),
        priority=URGENT,
        reports=(
            R(-18, 10, "召开复工复产协调会,梳理问题清单。"),
            R(
                -7,
                15,
                "完成矿井通风系统评估。",
                "采矿许可证延续手续未完成,资金缺口较大。",
                "协调自然资源局加快办理证照。",
            ),
        ),
        coop_reports=(C("yuechang", -8, 20, "完成井下排水和设备检修。"),),
        instruction=(
            "leader",
            "悦昌煤矿复工复产进度滞后,能源局要倒排工期,自然资源局全力配合办理证照,每周报送进展。",
        ),
    ),
    TaskSpec(
        key="mk_zhangduan",
        action="MK",
        title="张端煤矿复工复产",
        lead="nengyuan",
        start=-25,
        deadline=35,
        description="全面了解掌握影响张端煤矿复工复产的问题,有针对性地帮助协调解决。",
        target="张端煤矿完成复工复产验收,早日复工投产。",
        coop=("zhangduan", "yingji"),
        priority=URGENT,
        reports=(
            R(-18, 10, "现场核查矿井停产原因。"),
            R(-6, 20, "完成复工复产方案初稿。", "安全设施设计需重新审查。", "报送省级审查。"),
        ),
    ),
    TaskSpec(
        key="mk_wenti",
        action="MK",
        title="摸排影响煤矿复工复产的问题清单",
        lead="nengyuan",
        start=-25,
        deadline=2,
        description="逐矿摸排影响复工复产的证照、资金、安全、环保问题,形成问题清单和责任清单。",
        target="形成两个停产煤矿问题清单并明确责任单位。",
        coop=("yuechang", "zhangduan"),
        reports=(R(-20, 50, "完成两个煤矿现场调研。"), R(-8, 100, "形成问题清单14项,明确责任单位。")),
        outcome="closed",
    ),
    TaskSpec(
        key="mk_ximei",
        action="MK",
        title="洗煤企业停产半停产细化处置",
        lead="nengyuan",
        start=-15,
        deadline=20,
        description="对停产半停产洗煤企业逐企细化处置:有复工复产条件的积极帮扶,该停止的及时退库。",
        target="洗煤企业分类处置方案全部落地。",
        coop=("gongxin", "sthj"),
        reports=(R(-10, 20, "摸排停产半停产洗煤企业11家。"), R(-3, 35, "4家企业具备复产条件,2家拟退库。")),
    ),
    # ---- 项目谋划 ----------------------------------------------------------------------------
    TaskSpec(
        key="xm_mouhua",
        action="XM",
        title="谋划一批支撑性、引领性大项目",
        lead="fagai",
        start=-25,
        deadline=30,
        description="大力谋划项目,推动传统产业延链、新兴产业强链、未来产业建链,建立2024年重点项目储备库。",
        target="谋划储备2024年重点项目不少于60个,总投资不低于300亿元。",
        coop=("gongxin", "kfq", "shangwu"),
        priority=HIGH,
        reports=(
            R(-20, 20, "征集各单位项目建议86个。"),
            R(-12, 40, "组织专家论证项目31个。"),
            R(-5, 55, "42个项目纳入储备库。"),
        ),
    ),
    TaskSpec(
        key="xm_qianqi",
        action="XM",
        title="在库项目抓前期",
        lead="shenpi",
        start=-25,
        deadline=20,
        description="对在库项目逐项梳理立项、用地、环评、能评等前期手续,开辟审批绿色通道。",
        target="在库项目前期手续办结率达到90%以上。",
        coop=("fagai", "ziran", "sthj"),
        reports=(R(-18, 30, "梳理在库项目前期手续清单。"), R(-7, 50, "办结立项、规划等手续37件。")),
    ),
    TaskSpec(
        key="xm_kaigong",
        action="XM",
        title="前期项目抓开工",
        lead="fagai",
        start=-25,
        deadline=10,
        description="对完成前期手续的项目倒排工期,协调解决开工中的土地、资金问题。",
        target="12月10日前12个前期项目全部开工。",
        coop=("zhujian",),
        priority=HIGH,
        reports=(
            R(-18, 30, "6个项目具备开工条件。"),
            R(-6, 45, "4个项目已开工。", "3个项目土地征收未完成。", "协调乡镇加快征收。"),
        ),
    ),
    TaskSpec(
        key="xm_touchan",
        action="XM",
        title="开工项目抓投产",
        lead="gongxin",
        start=-25,
        deadline=30,
        description="对在建工业项目逐项跟踪,推动早建成、早投产、早达效,加快形成更多实物量。",
        target="年内8个工业项目建成投产。",
        coop=("kfq",),
        reports=(R(-16, 35, "3个项目完成设备安装。"), R(-5, 50, "2个项目进入试生产。")),
    ),
    TaskSpec(
        key="xm_xinxing",
        action="XM",
        title="新型工业化项目谋划",
        lead="gongxin",
        start=-10,
        deadline=45,
        description="积极探索新型工业化发展的新路径,围绕新质生产力谋划一批新兴产业项目。",
        target="形成新型工业化项目清单并报县政府审定。",
        coop=("fagai", "kfq"),
    ),
    # ---- 开发区标准地、标准厂房 --------------------------------------------------------------
    TaskSpec(
        key="kf_biaozhundi",
        action="KF",
        title="标准地出让“一个项目一套方案”",
        lead="kfq",
        start=-25,
        deadline=30,
        description="按照“一个项目一套方案”跟踪机制,推进标准地区域评估和出让。",
        target="年内完成标准地出让不少于500亩。",
        coop=("ziran", "shenpi"),
        priority=HIGH,
        reports=(
            R(-20, 20, "完成区域评估2项。"),
            R(-13, 35, "3宗标准地完成挂牌。"),
            R(-4, 50, "出让标准地236亩。"),
        ),
    ),
    TaskSpec(
        key="kf_changfang",
        action="KF",
        title="标准厂房三期主体封顶",
        lead="kfq",
        start=-25,
        deadline=-2,
        description="加快标准厂房三期建设,破除土地、水、电、路瓶颈。",
        target="标准厂房三期6栋主体全部封顶。",
        coop=("zhujian",),
        priority=HIGH,
        reports=(
            R(-20, 30, "4栋完成基础施工。"),
            R(-12, 60, "3栋主体封顶。"),
            R(-4, 75, "5栋主体封顶。", "寒潮降温影响混凝土浇筑。", "采取冬季施工措施。"),
        ),
        milestones=(M("基础施工完成", -15, -16), M("主体全部封顶", -2)),
        extension=("approved", 12, "受寒潮降温影响,混凝土浇筑需采取冬季施工措施,申请延期至月中。"),
    ),
    TaskSpec(
        key="kf_jichu",
        action="KF",
        title="开发区水电路基础设施配套",
        lead="kfq",
        start=-25,
        deadline=45,
        description="加快开发区道路、供水、供电、污水管网配套建设,提升综合承载能力和产业吸纳能力。",
        target="新建园区道路3公里,110千伏变电站完成主体工程。",
        coop=("shuili", "jiaotong"),
        reports=(R(-15, 15, "园区道路完成路基1.2公里。"), R(-4, 30, "变电站完成土建招标。")),
    ),
    TaskSpec(
        key="kf_siyige",
        action="KF",
        title="构建“四个一”工作机制",
        lead="kfq",
        start=-25,
        deadline=5,
        description="构建“四个一”工作机制,确保每个项目有人抓、每个环节有人跑。",
        target="入区重点项目全部明确包联领导和服务专员。",
        coop=("shenpi",),
        reports=(
            R(-20, 60, "印发“四个一”工作机制实施方案。"),
            R(-9, 100, "28个项目全部落实包联领导和服务专员。"),
        ),
        outcome="closed",
    ),
    # ---- 文旅产业 ----------------------------------------------------------------------------
    TaskSpec(
        key="wl_gss",
        action="WL",
        title="广胜寺景区提升",
        lead="wenlv",
        start=-25,
        deadline=55,
        description="抢抓国家全域旅游示范区机遇,加快霍太山(广胜寺)文化景区项目进度,丰富产品业态。",
        target="广胜寺景区游客中心、停车场和标识系统提升完成。",
        coop=("gss_park", "gss"),
        priority=HIGH,
        reports=(R(-18, 20, "完成提升方案设计。"), R(-6, 35, "游客中心改造开工。")),
    ),
    TaskSpec(
        key="wl_3a_jianyu",
        action="WL",
        title="明代监狱景区创建3A级景区",
        lead="wenlv",
        start=-25,
        deadline=40,
        description="推进明代监狱景区升级改造工程,对标3A级景区标准补齐短板。",
        target="明代监狱景区通过3A级景区评定。",
        coop=("jianyu", "dhs"),
        reports=(R(-17, 25, "完成对标自查。"), R(-5, 45, "旅游厕所、标识系统改造完成。")),
    ),
    TaskSpec(
        key="wl_3a_xts",
        action="WL",
        title="兴唐寺中镇文化园创建3A级景区",
        lead="xts",
        start=-25,
        deadline=40,
        description="依托霍山森林康养基地入选国家级森林康养试点、兴唐寺村入选全省乡村旅游重点村,推进中镇文化园创建3A级景区。",
        target="兴唐寺中镇文化园通过3A级景区评定。",
        coop=("wenlv", "zhongzhen"),
        reports=(
            R(-16, 30, "霍山森林康养基地入选国家级森林康养试点建设单位。"),
            R(-5, 50, "完成创建申报材料。"),
        ),
    ),
    TaskSpec(
        key="wl_ip",
        action="WL",
        title="洪洞城市IP全球征集大赛",
        lead="wenlv",
        start=-20,
        deadline=4,
        description="深度挖掘“创史文化”“镇山文化”“根祖文化”,举办洪洞城市IP全球征集大赛。",
        target="完成作品征集、评审和颁奖。",
        coop=("xcb", "rongmei"),
        reports=(R(-16, 30, "发布大赛公告。"), R(-9, 60, "收到作品1126件。"), R(-2, 80, "完成初评。")),
    ),
    TaskSpec(
        key="wl_mingsu",
        action="WL",
        title="第十八届洪洞大槐树民俗中国年",
        lead="dhs_park",
        start=-10,
        deadline=55,
        description="以“老家年 中国年”为主题,策划第十八届洪洞大槐树民俗中国年文旅活动。",
        target="活动方案、安保预案、宣传推广全部落实,春节期间顺利举办。",
        coop=("wenlv", "gongan", "shichang"),
        priority=HIGH,
        reports=(R(-4, 10, "完成活动方案初稿。"),),
    ),
    TaskSpec(
        key="wl_yuandan",
        action="WL",
        title="“新年寄新语 盲盒藏惊喜”元旦文旅活动",
        lead="dhs_park",
        start=-10,
        deadline=30,
        description="大槐树寻根祭祖园景区策划元旦文旅活动。",
        target="元旦期间活动顺利举办。",
        coop=("wenlv",),
        reports=(R(-3, 20, "完成活动方案。"),),
    ),
    TaskSpec(
        key="wl_feihong",
        action="WL",
        title="“飞虹塔传奇故事”情景剧等5项元旦春节活动",
        lead="gss_park",
        start=-10,
        deadline=55,
        description="广胜寺景区策划省级非物质文化遗产“飞虹塔传奇故事”情景剧演出等5项元旦、春节文旅活动。",
        target="5项活动全部按计划举办。",
        coop=("wenlv",),
    ),
    TaskSpec(
        key="wl_huijia",
        action="WL",
        title="8家“回家·悦生活”示范单位复审",
        lead="wenlv",
        start=-20,
        deadline=6,
        description="做好大槐树寻根祭祖园景区、广胜寺景区、县博物馆、县图书馆等8家“回家·悦生活”示范单位复审,争取再新创一家。",
        target="8家示范单位复审通过,新创示范单位1家。",
        coop=("shichang",),
        reports=(R(-14, 40, "完成8家单位自查。"), R(-4, 70, "完成6家单位复审。")),
    ),
    TaskSpec(
        key="wl_peixun",
        action="WL",
        title="文旅管理骨干和重点人员培训",
        lead="wenlv",
        start=-20,
        deadline=3,
        description="对重点A级景区、旅游饭店、精品民宿、旅行社等管理骨干开展培训,打响“旅游满意在洪洞”品牌。",
        target="培训不少于200人次。",
        reports=(R(-12, 60, "举办培训班2期,培训156人次。"), R(-4, 100, "举办第3期培训班,累计培训238人次。")),
        outcome="returned",
        outcome_note="佐证材料不全:缺少培训签到表和考核结果,请补充后重新申请销号。",
    ),
    TaskSpec(
        key="wl_jiudian",
        action="WL",
        title="恒富温泉度假酒店创建三星级酒店",
        lead="wenlv",
        start=-20,
        deadline=50,
        description="围绕“吃住行游购娱”六要素,指导恒富温泉度假酒店创建三星级酒店。",
        target="恒富温泉度假酒店通过三星级评定。",
        coop=("shichang",),
        reports=(R(-8, 15, "完成对标自查,列出整改项17项。"),),
    ),
    # ---- 城市“双品质” ------------------------------------------------------------------------
    TaskSpec(
        key="sp_yufeng",
        action="SP",
        title="玉峰西街贯通",
        lead="zhujian",
        start=-25,
        deadline=30,
        description="做强重大基础功能,扎实推进玉峰西街贯通工程。",
        target="玉峰西街全线贯通通车。",
        coop=("ziran", "chengtou", "dhs"),
        priority=URGENT,
        reports=(
            R(-20, 30, "完成剩余征迁协议签订。"),
            R(-12, 45, "管网迁改完成60%。"),
            R(-4, 55, "路基施工完成800米。", "冬季低温影响沥青摊铺。", "抓住晴好天气抢工。"),
        ),
        coop_reports=(C("dhs", -15, 100, "沿线征迁交地全部完成。"),),
        milestones=(M("征迁交地", -10, -11), M("路基完成", 10), M("全线通车", 30)),
    ),
    TaskSpec(
        key="sp_jianxianli",
        action="SP",
        title="见贤里·华人老家会客厅文化街区",
        lead="zhujian",
        start=-25,
        deadline=55,
        description="扎实推进见贤里·华人老家会客厅文化街区项目建设。",
        target="街区一期主体完工。",
        coop=("wenlv", "chengtou"),
        reports=(R(-16, 20, "一期完成基础施工。"), R(-5, 30, "3栋建筑主体施工。")),
    ),
    TaskSpec(
        key="sp_tingche",
        action="SP",
        title="智慧停车项目落地",
        lead="chengguan",
        start=-25,
        deadline=-4,
        description="加快智慧停车项目落地,解决市民停车难、充电难等问题。",
        target="城区智慧停车泊位不少于2000个,同步建设充电桩。",
        coop=("gongan", "zhujian", "chengtou"),
        priority=HIGH,
        reports=(
            R(-20, 20, "完成泊位规划。"),
            R(-12, 40, "确定建设运营单位。"),
            R(-5, 55, "施划泊位1100个。", "充电桩电力接入审批慢。", "协调供电部门加快接入。"),
        ),
        instruction=(
            "fxz_chengjian",
            "智慧停车已逾期,城管局要明确新的完成时间,城投公司和供电部门同步推进充电桩建设。",
        ),
    ),
    TaskSpec(
        key="sp_gongre",
        action="SP",
        title="供水、供热、供气市政服务提质增效",
        lead="zhujian",
        start=-25,
        deadline=55,
        description="持续推进供水、供热、供气等市政服务提质增效,保障冬季供暖。",
        target="供暖期室温达标率98%以上,投诉办结率100%。",
        coop=("chengtou",),
        reports=(R(-18, 40, "完成供热管网检修。"), R(-4, 60, "办结供暖投诉83件。")),
    ),
    TaskSpec(
        key="sp_lvse",
        action="SP",
        title="全力配合绿色能源输配项目",
        lead="fagai",
        start=-20,
        deadline=40,
        description="全力配合绿色能源输配项目,做好选线、用地和协调保障。",
        target="项目洪洞段完成用地预审。",
        coop=("zhujian", "ziran"),
        reports=(R(-6, 20, "完成洪洞段选线对接。"),),
    ),
    TaskSpec(
        key="sp_108",
        action="SP",
        title="配合108国道连接线环境整治",
        lead="jiaotong",
        start=-25,
        deadline=20,
        description="配合108国道同尧都区、临汾经济开发区连接线的环境整治工作。",
        target="连接线洪洞段环境整治完成。",
        coop=("chengguan", "ganting"),
        outcome="cancelled",
        outcome_note="该路段由市级统一组织整治,经县政府研究,本任务撤销,并入市级任务清单。",
    ),
    TaskSpec(
        key="sp_chengxiang",
        action="SP",
        title="城乡接合部环境卫生整治",
        lead="chengguan",
        start=-20,
        deadline=25,
        description="切实改善城乡接合部环境卫生状况,清理垃圾、规范乱堆乱放。",
        target="城乡接合部环境卫生明显改善。",
        coop=("dhs", "ganting", "quting"),
        reports=(R(-13, 30, "清理垃圾死角126处。"), R(-3, 45, "拆除私搭乱建43处。")),
    ),
    # ---- 信访稳定 ----------------------------------------------------------------------------
    TaskSpec(
        key="xf_qingling",
        action="XF",
        title="信访案件清零攻坚",
        lead="xinfang",
        start=-25,
        deadline=30,
        description="持续做好案件化解,逐案明确包案领导和化解措施。",
        target="交办信访案件全部清零。",
        coop=("zfw", "gongan"),
        priority=URGENT,
        reports=(
            R(-20, 35, "梳理交办案件41件,全部明确包案领导。"),
            R(-12, 55, "化解23件。"),
            R(-4, 65, "化解27件。", "3件历史遗留案件化解难度大。", "县领导包案攻坚。"),
        ),
        instruction=("shuji", "信访案件清零是硬任务,包案领导要亲自接访、亲自化解,年底前必须清零。"),
    ),
    TaskSpec(
        key="xf_paicha",
        action="XF",
        title="矛盾纠纷隐患全面排查",
        lead="zfw",
        start=-20,
        deadline=10,
        description="充分发挥基层治理职能和网格员一线作用,全面排查矛盾纠纷隐患,从源头做好防范。",
        target="矛盾纠纷排查全覆盖,化解率95%以上。",
        coop=("wanan", "subao", "zhaocheng"),
        reports=(R(-14, 40, "排查矛盾纠纷412件。"), R(-5, 60, "化解376件。")),
        coop_reports=(C("wanan", -7, 70, "网格员排查纠纷38件,化解33件。"),),
    ),
    TaskSpec(
        key="xf_rexian",
        action="XF",
        title="公开公布“家事热线”,推广“联手说事”",
        lead="zfw",
        start=-20,
        deadline=3,
        description="公开公布“家事热线”,用好枫桥经验洪洞版“联手说事”和政法新“五老”等基层功能。",
        target="“家事热线”向社会公布,各乡镇推广“联手说事”。",
        coop=("rongmei",),
        reports=(R(-15, 60, "“家事热线”向社会公布。"), R(-6, 100, "16个乡镇全部推广“联手说事”。")),
        outcome="closed",
    ),
    TaskSpec(
        key="xf_zhongdian",
        action="XF",
        title="重点人员教育稳定",
        lead="gongan",
        start=-25,
        deadline=55,
        description="进一步强化重点人员教育稳定,落实稳控责任。",
        target="元旦、春节期间重点人员稳控到位。",
        coop=("xinfang",),
        reports=(R(-9, 50, "落实重点人员稳控责任人。"),),
    ),
    # ---- 生态环保 ----------------------------------------------------------------------------
    TaskSpec(
        key="st_sanqingling",
        action="ST",
        title="散煤“三清零”巡查检查",
        lead="sthj",
        start=-25,
        deadline=55,
        description="严格落实汾河谷地环境综合治理方案要求,常态化组织散煤“三清零”巡查检查。",
        target="散煤销售点、散煤存量、燃煤设施动态清零。",
        coop=("nengyuan", "shichang"),
        priority=HIGH,
        reports=(R(-18, 40, "开展全县散煤巡查。"), R(-6, 55, "取缔散煤销售点3处。")),
    ),
    TaskSpec(
        key="st_sql_ganting",
        action="ST",
        title="甘亭镇散煤“三清零”",
        lead="ganting",
        start=-20,
        deadline=1,
        description="对辖区村庄逐户排查散煤存量和燃煤设施。",
        target="辖区散煤“三清零”。",
        parent="st_sanqingling",
        reports=(R(-12, 50, "完成21个村排查。"), R(-3, 80, "清理散煤存量12吨。")),
    ),
    TaskSpec(
        key="st_sql_subao",
        action="ST",
        title="苏堡镇散煤“三清零”",
        lead="subao",
        start=-20,
        deadline=-2,
        description="对辖区村庄逐户排查散煤存量和燃煤设施。",
        target="辖区散煤“三清零”。",
        parent="st_sanqingling",
        reports=(
            R(-13, 30, "完成12个村排查。"),
            R(-5, 50, "清理散煤存量5吨。", "部分农户存煤反弹。", "加大巡查频次。"),
        ),
    ),
    TaskSpec(
        key="st_sql_wanan",
        action="ST",
        title="万安镇散煤“三清零”",
        lead="wanan",
        start=-20,
        deadline=6,
        description="对辖区村庄逐户排查散煤存量和燃煤设施。",
        target="辖区散煤“三清零”。",
        parent="st_sanqingling",
        reports=(R(-15, 40, "完成18个村排查。"), R(-8, 70, "清理散煤存量9吨。"), R(-2, 90, "完成复查。")),
        outcome="awaiting",
        outcome_note="辖区散煤已清零,复查无反弹。",
    ),
    TaskSpec(
        key="st_jinshao",
        action="ST",
        title="露天焚烧巡查",
        lead="sthj",
        start=-25,
        deadline=55,
        description="不断加大露天禁烧管控力度,落实网格化巡查。",
        target="全县不发生露天焚烧火点。",
        coop=("nongye", "chengguan"),
        reports=(R(-8, 40, "组织巡查1260人次,发现处置火点2处。"),),
    ),
    TaskSpec(
        key="st_shuangkong",
        action="ST",
        title="“双控”企业日排放浓度和日排污总量核查",
        lead="sthj",
        start=-25,
        deadline=30,
        description="持续开展“双控”企业日排放浓度和日排污总量核查工作。",
        target="“双控”企业核查全覆盖,超标排放立即整改。",
        coop=("kfq",),
        reports=(R(-16, 30, "核查“双控”企业23家。"), R(-5, 50, "督促2家企业整改。")),
    ),
    TaskSpec(
        key="st_zaisheng",
        action="ST",
        title="洪洞再生水厂开工",
        lead="zhujian",
        start=-25,
        deadline=-3,
        description="督促相关部门全力做好前期准备工作,确保洪洞再生水厂建设顺利开工。",
        target="再生水厂项目开工建设。",
        coop=("sthj", "fagai", "shenpi"),
        priority=URGENT,
        reports=(
            R(-20, 20, "完成可研批复。"),
            R(-12, 40, "完成施工招标。"),
            R(-5, 60, "施工单位进场。", "环评批复尚未下达。", "对接市生态环境局加快审批。"),
        ),
        extension=("pending", 20, "环评批复尚未下达,待批复后开工,申请延期至20日后。"),
    ),
    TaskSpec(
        key="st_wushui2",
        action="ST",
        title="开发区第二污水处理厂开工",
        lead="kfq",
        start=-25,
        deadline=20,
        description="确保洪洞经济技术开发区第二污水处理厂顺利开工。",
        target="第二污水处理厂开工建设。",
        coop=("sthj", "zhujian"),
        priority=HIGH,
        reports=(R(-15, 30, "完成初步设计。"), R(-5, 50, "完成用地报批。")),
    ),
    TaskSpec(
        key="st_wushui1",
        action="ST",
        title="开发区第一污水处理厂按期完工",
        lead="kfq",
        start=-25,
        deadline=25,
        description="加快推进项目建设进度,确保洪洞经济技术开发区第一污水处理厂按期完工。",
        target="第一污水处理厂完工并通水调试。",
        coop=("sthj",),
        priority=HIGH,
        reports=(R(-20, 60, "主体工程完成。"), R(-11, 75, "设备安装完成70%。"), R(-3, 85, "管网连接完成。")),
        milestones=(M("设备安装完成", 5), M("通水调试", 20)),
    ),
    TaskSpec(
        key="st_fenhe",
        action="ST",
        title="汾河洪洞南营村—尧都界生态综合治理",
        lead="shuili",
        start=-25,
        deadline=30,
        description="严格落实汾河谷地环境综合治理方案,推进汾河洪洞南营村—尧都界生态综合治理工程。",
        target="工程按期完工。",
        coop=("sthj", "ziran", "ganting"),
        priority=HIGH,
        reports=(R(-19, 50, "完成河道清淤。"), R(-10, 65, "完成护岸工程。"), R(-3, 75, "生态绿化完成60%。")),
    ),
    TaskSpec(
        key="st_yihong",
        action="ST",
        title="“一泓清水入黄河”工程前期准备",
        lead="shuili",
        start=-25,
        deadline=20,
        description="持续推进“一泓清水入黄河”工程建设,督促相关部门做好前期准备。",
        target="年度项目完成前期手续。",
        coop=("fagai",),
        reports=(R(-10, 30, "完成项目建议书。"),),
    ),
    # ---- 创建文明城市 ------------------------------------------------------------------------
    TaskSpec(
        key="cw_11",
        action="CW",
        title="创文11项重点内容对标整改",
        lead="wmb",
        start=-25,
        deadline=55,
        description="围绕理想信念教育、思想道德建设、文明风尚培育、教育科技进步、文化事业和文化产业发展、政务廉洁高效、法治公平正义、生活和谐宜居、社会安全稳定、生态环境良好、创建常态长效等11项重点内容对标整改。",
        target="11项重点内容对标整改到位,确保长项出亮点、弱项不失分。",
        coop=("xcb", "zhujian", "chengguan"),
        priority=HIGH,
        reports=(
            R(-12, 30, "召开“冬季行动”创建文明城市工作推进会议。"),
            R(-4, 45, "形成11项重点内容整改清单。"),
        ),
    ),
    TaskSpec(
        key="cw_wangshen",
        action="CW",
        title="创文网申资料收集",
        lead="wmb",
        start=-20,
        deadline=5,
        description="做实做好网申资料收集,逐项对照测评体系收集佐证材料。",
        target="网申资料按时全部上传。",
        coop=("rongmei",),
        parent="cw_11",
        reports=(R(-14, 50, "完成资料清单分解。"), R(-4, 70, "上传资料210项。")),
    ),
    TaskSpec(
        key="cw_dianwei",
        action="CW",
        title="创文实地点位打造",
        lead="chengguan",
        start=-20,
        deadline=15,
        description="对城东农贸市场、伊顿新城小区、泽瑞家园东巷、天涯购物中心、恒富花苑小区等实地点位逐一整改。",
        target="实地点位全部达到测评标准。",
        coop=("shichang", "dhs"),
        parent="cw_11",
        reports=(R(-14, 30, "完成点位问题清单。"), R(-3, 45, "整改问题86个。")),
    ),
    TaskSpec(
        key="cw_wenjuan",
        action="CW",
        title="“文明入心问卷入户”",
        lead="dhs",
        start=-20,
        deadline=-1,
        description="深入发动群众,做实问卷调查入户。",
        target="城区住户问卷入户全覆盖。",
        coop=("wmb",),
        parent="cw_11",
        reports=(
            R(-12, 40, "入户宣传3200户。"),
            R(-4, 70, "入户宣传6100户。", "部分小区住户白天不在家。", "利用晚间和周末入户。"),
        ),
    ),
    TaskSpec(
        key="cw_laojiu",
        action="CW",
        title="老旧小区改造",
        lead="zhujian",
        start=-25,
        deadline=55,
        description="大力实施老旧小区改造、公共设施提升等民生项目。",
        target="年度老旧小区改造任务全部完工。",
        coop=("dhs",),
        reports=(R(-10, 60, "12个小区完成改造。"),),
    ),
    TaskSpec(
        key="cw_nongmao",
        action="CW",
        title="城东农贸市场提升",
        lead="shichang",
        start=-20,
        deadline=10,
        description="推动农贸市场提升品质,规范马路市场管理。",
        target="城东农贸市场达到文明城市测评标准。",
        coop=("shangwu", "chengguan"),
        reports=(R(-12, 40, "完成市场划行归市。"), R(-4, 60, "完成地面和排水改造。")),
    ),
    TaskSpec(
        key="cw_xuanjiang",
        action="CW",
        title="“争当好女性 争做好母亲 争创文明家庭”主题宣讲",
        lead="fulian",
        start=-7,
        deadline=20,
        description="11月24日启动主题宣讲,深入乡镇社区开展巡回宣讲。",
        target="主题宣讲覆盖全部乡镇。",
        coop=("wmb",),
        reports=(R(-3, 30, "完成宣讲5场。"),),
    ),
    # ---- 巩固衔接 ----------------------------------------------------------------------------
    TaskSpec(
        key="xc_jiance",
        action="XC",
        title="防返贫动态监测帮扶",
        lead="xczx",
        start=-25,
        deadline=30,
        description="聚焦大病户、重度残疾、一户多残、低保户、因灾、突发严重困难等特殊群体,逐村逐户逐人排查,确保应纳尽纳。监测对象总规模为363户896人。",
        target="监测对象帮扶措施全覆盖,坚决守住不发生规模性返贫的底线。",
        coop=("minzheng", "weijian"),
        priority=URGENT,
        reports=(R(-20, 40, "部署全县防返贫集中排查。"), R(-9, 60, "新识别监测对象11户32人。")),
    ),
    TaskSpec(
        key="xc_jiance_zhaocheng",
        action="XC",
        title="赵城镇防返贫监测逐户排查",
        lead="zhaocheng",
        start=-20,
        deadline=8,
        description="组织村级干部、驻村工作队和第一书记逐户排查。",
        target="辖区排查全覆盖,符合条件的及时纳入监测。",
        parent="xc_jiance",
        reports=(R(-14, 50, "完成14个村排查。"), R(-5, 70, "完成23个村排查。")),
    ),
    TaskSpec(
        key="xc_jiance_ljy",
        action="XC",
        title="刘家垣镇防返贫监测逐户排查",
        lead="ljy",
        start=-20,
        deadline=-2,
        description="组织村级干部、驻村工作队和第一书记逐户排查。",
        target="辖区排查全覆盖,符合条件的及时纳入监测。",
        parent="xc_jiance",
        reports=(
            R(-13, 40, "完成9个村排查。"),
            R(-6, 60, "完成15个村排查。", "山区村户数分散。", "增派工作人员。"),
        ),
    ),
    TaskSpec(
        key="xc_shouru",
        action="XC",
        title="脱贫户收入信息动态管理",
        lead="xczx",
        start=-25,
        deadline=20,
        description="采用“线上+线下”模式,对脱贫户、监测户、脱贫村有关情况采集录入,更新全国防止返贫监测和衔接推进乡村振兴信息系统。全县脱贫户规模为3865户9164人。",
        target="信息系统数据真实可靠、完整准确。",
        coop=("tongji",),
        reports=(R(-15, 30, "完成1200户信息采集。"), R(-4, 55, "完成2300户信息采集。")),
    ),
    TaskSpec(
        key="xc_xiangmu",
        action="XC",
        title="178个2024年度巩固衔接项目储备",
        lead="xczx",
        start=-25,
        deadline=25,
        description="围绕“3315”产业振兴体系做好项目储备和入库管理,抓紧制定年度项目实施计划,按程序申报审核审定。",
        target="178个项目完成入库,年度实施计划经县政府审定。",
        coop=("caizheng", "fagai"),
        priority=HIGH,
        reports=(
            R(-20, 50, "各乡镇完成项目申报。"),
            R(-12, 70, "储备项目178个。"),
            R(-4, 80, "实施计划初稿完成。"),
        ),
        milestones=(M("项目入库", -10, -12), M("实施计划报县政府审定", 20)),
    ),
    TaskSpec(
        key="xc_xuanchuan",
        action="XC",
        title="巩固衔接政策宣传短视频",
        lead="xczx",
        start=-25,
        deadline=2,
        description="制作巩固衔接政策宣传短视频,在“洪洞发布”视频号推广。",
        target="制作并推广6期短视频。",
        coop=("rongmei",),
        reports=(R(-18, 50, "完成3期制作。"), R(-7, 100, "6期全部发布。")),
        outcome="closed",
    ),
    # ---- “千万工程” --------------------------------------------------------------------------
    TaskSpec(
        key="qw_3315",
        action="QW",
        title="打造乡村振兴洪洞样板",
        lead="nongye",
        start=-25,
        deadline=55,
        description="紧紧围绕“3315”产业振兴体系,坚持在“产”上振兴、在“链”上拓展、在“融”上发力。",
        target="乡村振兴洪洞样板全面过硬、全程领跑。",
        coop=("xczx", "zhaocheng", "shanmu"),
        reports=(R(-10, 20, "确定示范村12个。"),),
    ),
    TaskSpec(
        key="qw_hemei",
        action="QW",
        title="和美乡村示范村创建",
        lead="nongye",
        start=-20,
        deadline=40,
        description="学习运用“千万工程”经验,推进和美乡村示范村创建。",
        target="创建和美乡村示范村5个。",
        coop=("xts",),
    ),
    TaskSpec(
        key="qw_renju",
        action="QW",
        title="农村人居环境整治冬季攻坚",
        lead="nongye",
        start=-20,
        deadline=25,
        description="开展村庄清洁行动冬季战役,整治农村生活垃圾和污水。",
        target="村庄清洁行动覆盖全部行政村。",
        coop=("mingjiang", "longma"),
        reports=(R(-9, 30, "组织村庄清洁行动。"),),
    ),
    # ---- 农业产业化龙头企业 ------------------------------------------------------------------
    TaskSpec(
        key="lt_yinjin",
        action="LT",
        title="引进培育涉农龙头企业",
        lead="nongye",
        start=-25,
        deadline=55,
        description="着力引进和培育一批自主创新能力强、示范带动作用大、品牌引领优势明显的涉农龙头企业。",
        target="新增市级以上农业产业化龙头企业3家。",
        coop=("shangwu", "kfq"),
        reports=(R(-11, 15, "对接农产品加工企业5家。"),),
    ),
    TaskSpec(
        key="lt_shenbao",
        action="LT",
        title="农业产业化龙头企业申报认定",
        lead="nongye",
        start=-20,
        deadline=6,
        description="组织符合条件的企业申报省级、市级农业产业化龙头企业。",
        target="完成申报材料审核和推荐。",
        coop=("caizheng",),
        reports=(R(-13, 40, "摸底符合条件企业8家。"), R(-4, 60, "6家企业完成材料准备。")),
    ),
)


# ---- Accounts --------------------------------------------------------------------------------


def _units_with_officials() -> list[UnitSpec]:
    """Units that lead or cooperate on a task or sit on a task force get an official."""
    used = {slug for spec in TASKS for slug in (spec.lead, *spec.coop)}
    used |= {report.unit for spec in TASKS for report in spec.coop_reports}
    used |= {slug for action in ACTIONS for slug in (action.lead, *action.task_force)}
    return [unit for unit in COUNTY_UNITS if unit.slug in used]


def _official_position(unit: UnitSpec) -> str:
    return unit.official or DEFAULT_OFFICIAL[unit.kind]


def _demo_accounts() -> list[tuple[str, str]]:
    main = {"office", "leader", "inspector"}
    accounts = [(p.username, p.about) for p in (*OFFICES, *LEADERS, *INSPECTORS) if p.username in main]
    accounts.sort(key=lambda row: ["office", "leader", "inspector"].index(row[0]))
    accounts += [("wanan", "万安镇党政办主任(单位填报员)"), ("yingji", "县应急管理局综合股股长(单位填报员)")]
    accounts += [(p.username, p.about) for p in (*OFFICES, *LEADERS, *INSPECTORS) if p.username not in main]
    accounts += [(p.username, p.about) for p in EXTRA_OFFICIALS]
    accounts += [
        (unit.slug, f"{unit.name}{_official_position(unit)}(单位填报员)")
        for unit in _units_with_officials()
        if unit.slug not in {"wanan", "yingji"}
    ]
    return accounts


# (username, what the account is for); all log in with DEMO_PASSWORD. The first five are the
# ones to try first: the office, the county head, an inspector, a township, a department.
DEMO_ACCOUNTS: list[tuple[str, str]] = _demo_accounts()
MAIN_ACCOUNTS = 5


# ---- Building ----------------------------------------------------------------------------------


def demo_exists() -> bool:
    return Campaign.objects.filter(
        name=CAMPAIGN_NAME, owner__name=COUNTY, owner__kind=UnitKind.COUNTY
    ).exists()


def database_is_empty() -> bool:
    """No units, campaigns or people other than superusers: nothing a demo could clash with."""
    return not (
        Unit.objects.exists()
        or Campaign.objects.exists()
        or Person.objects.filter(is_superuser=False).exists()
    )


def load_demo(*, if_empty: bool = False) -> dict[str, int] | None:
    """Build the demo county; return counts of what was made.

    Returns None, writing nothing, when the demo is already there or, with `if_empty`,
    when the database holds any units, campaigns or (non-superuser) people.
    """
    with transaction.atomic():
        if demo_exists() or (if_empty and not database_is_empty()):
            return None
        return _Builder().build()


class _Builder:
    def __init__(self):
        self.today = timezone.localdate()
        self.units: dict[str, Unit] = {}  # by name
        self.slugs: dict[str, Unit] = {}  # by slug
        self.people: dict[str, Person] = {}  # by username
        self.officials: dict[str, Person] = {}  # by unit slug
        self.actions: dict[str, SpecialAction] = {}
        self.tasks: dict[str, Task] = {}

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def build(self) -> dict[str, int]:
        self.check_no_conflicts()
        self.build_units()
        self.build_people()
        office = self.people["office"]
        self.campaign = services.campaign_create(
            owner=self.units[COUNTY],
            name=CAMPAIGN_NAME,
            code=CAMPAIGN_CODE,
            start_date=self.day(CAMPAIGN_START),
            end_date=self.day(CAMPAIGN_END),
            by=office,
        )
        self.build_special_actions(office)
        self.build_groups()
        for index, spec in enumerate(TASKS):
            self.build_task(index, spec, office)
        self.build_supervision()
        return self.summary()

    # ---- units and people ----

    def check_no_conflicts(self) -> None:
        usernames = [name for name, _about in DEMO_ACCOUNTS]
        taken = sorted(Person.objects.filter(username__in=usernames).values_list("username", flat=True))
        if taken:
            raise DemoConflict(
                f"数据库中已有与演示账号同名的用户:{'、'.join(taken)}。请在空数据库中载入演示数据。"
            )

    def unit(
        self, name: str, kind: str, parent: Unit | None, full_name: str = "", sort_order: int = 0
    ) -> Unit:
        # A region made by hand before the demo (say 临汾市) is reused rather than duplicated.
        existing = Unit.objects.filter(parent=parent, name=name).first()
        unit = existing or services.unit_create(
            by=None, name=name, kind=kind, parent=parent, full_name=full_name, sort_order=sort_order
        )
        self.units[name] = unit
        return unit

    def build_units(self) -> None:
        city = self.unit(CITY, UnitKind.CITY, None, "山西省临汾市")
        for order, spec in enumerate(CITY_UNITS):
            self.slugs[spec.slug] = self.unit(spec.name, spec.kind, city, spec.full_name, order)
        self.unit(COUNTY, UnitKind.COUNTY, city, "临汾市洪洞县")
        for order, spec in enumerate(COUNTY_UNITS):
            parent = self.units[spec.parent]
            self.slugs[spec.slug] = self.unit(spec.name, spec.kind, parent, spec.full_name, order)

    def person(self, username: str, unit: Unit, role: str, position: str) -> Person:
        person = services.person_create(
            by=None, username=username, unit=unit, role=role, position=position, password=DEMO_PASSWORD
        )
        self.people[username] = person
        return person

    def build_people(self) -> None:
        for spec in (*OFFICES, *LEADERS, *INSPECTORS, *EXTRA_OFFICIALS):
            self.person(spec.username, self.units[spec.unit], spec.role, spec.position)
        for spec in _units_with_officials():
            unit = self.slugs[spec.slug]
            self.officials[spec.slug] = self.person(
                spec.slug, unit, Role.UNIT_OFFICIAL, _official_position(spec)
            )
        for username, kind, names in CHARGES:
            for name in names:
                services.leader_charge_add(
                    by=None, leader=self.people[username], unit=self.units[name], kind=kind
                )

    def build_special_actions(self, office: Person) -> None:
        for order, spec in enumerate(ACTIONS, start=1):
            self.actions[spec.code] = services.special_action_create(
                campaign=self.campaign,
                name=spec.name,
                code=spec.code,
                by=office,
                lead_unit=self.slugs[spec.lead],
                lead_leader=self.people[spec.leader],
                task_force=[self.officials[slug] for slug in spec.task_force],
                sort_order=order * 10,
            )

    def build_groups(self) -> None:
        county = self.units[COUNTY]
        group_create(
            name="市“冬季行动”第六督导检查组",
            issuing_unit=self.units[CITY],
            by=self.people["lf_office"],
            scope_units=[county],
            leader=self.people["dd6_zuzhang"],
            members=[self.people["inspector"], self.people["dd6_zuyuan"]],
            order_prefix="临督",
        )
        group_create(
            name="县委办县政府办联合督查组",
            issuing_unit=county,
            by=self.people["office"],
            scope_units=[
                self.units[name]
                for name in (
                    *("万安镇", "山目乡", "赵城镇", "刘家垣镇", "兴唐寺乡", "苏堡镇"),
                    *("县应急管理局", "县能源局", "县文旅局", "县住建局"),
                )
            ],
            leader=self.people["ldb_zuzhang"],
            members=[self.people["ldb_zuyuan"], self.people["zfb_office"]],
            order_prefix="洪督",
        )

    def build_supervision(self) -> None:
        """The city's sixth group inspects 万安镇 and the emergency bureau and issues two orders."""
        group = SupervisionGroup.objects.get(name="市“冬季行动”第六督导检查组")
        inspector = self.people["inspector"]
        wanan, yingji = self.units["万安镇"], self.units["县应急管理局"]
        wanan_task = Task.objects.filter(campaign=self.campaign, lead_unit=wanan).order_by("code").first()
        inspection = inspection_record(
            group=group,
            by=inspector,
            kind=InspectionKind.ON_SITE,
            date=self.day(-2),
            summary="实地检查万安煤业“三堂一舍”和井下综采工作面,抽查县应急管理局隐患排查台账。",
            units=[wanan, yingji],
            tasks=[wanan_task] if wanan_task else [],
            findings=[
                {"unit": wanan, "task": wanan_task, "text": "万安煤业宿舍消防通道堆放杂物,应急照明损坏2处。"},
                {"unit": yingji, "text": "隐患排查台账未按周更新,11月第3周缺报。"},
            ],
        )
        first, second = inspection.findings.order_by("id")
        order = order_issue(
            group=group,
            by=inspector,
            unit=wanan,
            problem=first.text,
            requirement="立即清理消防通道,更换损坏的应急照明,整改情况附照片反馈。",
            deadline=self.day(5),
            urgency=Urgency.YELLOW,
            finding=first,
        )
        order_acknowledge(order=order, by=self.people["wanan"])
        order_issue(
            group=group,
            by=inspector,
            unit=yingji,
            problem=second.text,
            requirement="补齐缺报台账,建立每周五更新制度。",
            deadline=self.day(3),
            finding=second,
        )

    # ---- tasks ----

    def build_task(self, index: int, spec: TaskSpec, office: Person) -> None:
        action = self.actions[spec.action]
        leader = self.people[spec.leader] if spec.leader else action.lead_leader
        lead_official = self.officials[spec.lead]
        history = _History(self, index)
        task = services.task_create(
            campaign=self.campaign,
            special_action=action,
            title=spec.title,
            lead_unit=self.slugs[spec.lead],
            deadline=self.day(spec.deadline),
            by=office,
            start_date=self.day(spec.start),
            description=spec.description,
            target=spec.target,
            cooperating_units=[self.slugs[slug] for slug in spec.coop],
            responsible_leader=leader,
            priority=spec.priority,
            parent=self.tasks[spec.parent] if spec.parent else None,
        )
        self.tasks[spec.key] = task

        milestones = []
        for title, due, _done in spec.milestones:
            milestones.append(
                services.milestone_add(task=task, by=office, title=title, due_date=self.day(due))
            )

        # The rest of the history, in day order: reports (lead and cooperating) and milestones done.
        steps: list[tuple[int, int, object]] = []
        steps += [(r.day, 0, r) for r in spec.reports]
        steps += [(c.day, 0, c) for c in spec.coop_reports]
        steps += [
            (m.done, 1, (milestone, m)) for milestone, m in zip(milestones, spec.milestones, strict=True)
        ]
        last_percent = -1
        for day, _order, step in sorted((s for s in steps if s[0] is not None), key=lambda s: (s[0], s[1])):
            if not spec.start <= day <= 0:
                raise ValueError(f"demo data: {spec.key} has a step on day {day} outside its time")
            if isinstance(step, R):
                if step.percent < last_percent:
                    raise ValueError(f"demo data: {spec.key}'s progress goes backwards")
                last_percent = step.percent
                report = services.progress_report(
                    task=task,
                    by=lead_official,
                    percent=step.percent,
                    done=step.done,
                    problems=step.problems,
                    next_steps=step.next_steps,
                )
                history.stamp(day, report)
            elif isinstance(step, C):
                report = services.progress_report(
                    task=task, by=self.officials[step.unit], percent=step.percent, done=step.done
                )
                history.stamp(day, report)
            else:
                milestone, _m = step
                services.milestone_complete(milestone=milestone, by=lead_official, done_on=self.day(day))

        # Today: extensions, instructions and the close-out steps.
        if spec.extension:
            decision, new_deadline, reason = spec.extension
            extension = services.extension_request(
                task=task, by=lead_official, new_deadline=self.day(new_deadline), reason=reason
            )
            if decision == "approved":
                services.extension_decide(
                    extension=extension, by=office, approve=True, reason="同意延期,请抓紧冬季施工。"
                )
        if spec.instruction:
            username, text = spec.instruction
            services.instruction_write(task=task, by=self.people[username], text=text)
        if spec.outcome in ("awaiting", "closed", "returned"):
            services.task_request_close(task=task, by=lead_official, note=spec.outcome_note)
        if spec.outcome == "closed":
            services.task_close(task=task, by=office, note="经核查,同意销号。")
        elif spec.outcome == "returned":
            services.task_return(task=task, by=office, reason=spec.outcome_note)
        elif spec.outcome == "cancelled":
            services.task_cancel(task=task, by=office, reason=spec.outcome_note)

    def summary(self) -> dict[str, int]:
        county = self.units[COUNTY]
        return {
            "单位": Unit.objects.filter(path__startswith=county.path).count(),
            "人员": Person.objects.filter(username__in=[name for name, _ in DEMO_ACCOUNTS]).count(),
            "专项行动": SpecialAction.objects.filter(campaign=self.campaign).count(),
            "任务": Task.objects.filter(campaign=self.campaign).count(),
            "进度填报": ProgressReport.objects.filter(task__campaign=self.campaign).count(),
            "节点": Milestone.objects.filter(task__campaign=self.campaign).count(),
            "延期申请": ExtensionRequest.objects.filter(task__campaign=self.campaign).count(),
            "领导批示": Instruction.objects.filter(task__campaign=self.campaign).count(),
            "督导检查组": SupervisionGroup.objects.filter(scope_units=county).count()
            + SupervisionGroup.objects.filter(issuing_unit=county).count(),
            **{
                f"任务({TaskStatus(status).label})": count
                for status, count in Counter(
                    Task.objects.filter(campaign=self.campaign).values_list("status", flat=True)
                ).items()
            },
            "逾期销号": Task.objects.filter(campaign=self.campaign, closed_late=True).count(),
        }


class _History:
    """Moves the submission time of a task's just-made progress reports back to the day they stand for.

    Demo history: `progress_report` stamps a report with now(), and the demo cannot travel
    in time (time-machine is a dev dependency only), so a few weeks of reports would all
    read "just now". Right after each report is made, its `submitted_at` (and nothing
    else) is moved back to 08:30 + a few minutes on its day; the steps of a task run in
    day order, so older reports stay earlier. The timeline (`TaskEvent`) is left as the
    services wrote it: it is the audit trail, append-only on PostgreSQL, and truthfully
    says when the demo was loaded.
    """

    def __init__(self, builder: _Builder, index: int):
        self.builder = builder
        self.base_minutes = (index * 37) % 180
        self.step = 0

    def stamp(self, day: int, report: ProgressReport) -> None:
        self.step += 1
        if day >= 0:
            return  # today: now() is right
        moment = datetime.datetime.combine(self.builder.day(day), datetime.time(8, 30)) + datetime.timedelta(
            minutes=self.base_minutes + 11 * self.step
        )
        ProgressReport.objects.filter(pk=report.pk).update(submitted_at=timezone.make_aware(moment))
