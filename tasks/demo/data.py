"""The demo county as plain data: units, people, leaders' charges, special actions and accounts.

Units and special actions are referred to by name or by slug (a unit's slug is also the username of its
official); people by username. tasks/demo/loader.py turns them into rows.
"""

from typing import NamedTuple

from tasks.models import ChargeKind, Role, UnitKind

from .task_list import TASKS

DEMO_PASSWORD = "winteraction"
CITY = "临汾市"
COUNTY = "洪洞县"
CAMPAIGN_NAME = "洪洞县“冬季行动”"
CAMPAIGN_CODE = "HD"
CAMPAIGN_START = -25
CAMPAIGN_END = 60


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
    # The county head 包联 the coal township and 分管 the energy bureau (煤矿复工复产): the demo's
    # "leader" account has units in its charge on the 工作台.
    ("leader", ChargeKind.LIAISON, ("万安镇",)),
    ("leader", ChargeKind.IN_CHARGE, ("县能源局",)),
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


# ---- Indicators (主要经济指标) -----------------------------------------------------------------------


class MonthSpec(NamedTuple):
    target: str
    expected: str
    actual: str | None = None  # reported by 县统计局
    confirmed: bool = False
    gap_reason: str = ""
    measures: str = ""


class IndicatorSpec(NamedTuple):
    name: str
    measure: str
    kind: str  # "cumulative" / "growth"
    responsible: str  # unit slug
    source: str  # unit slug
    annual_target: str
    last_month: MonthSpec  # the month before today's: the actual figures are in
    this_month: MonthSpec  # today's month: expected figures only


INDICATOR_SOURCE = "tongji"
INDICATOR_REPORTING_DAY = 5

INDICATORS = (
    IndicatorSpec(
        "固定资产投资",
        "亿元",
        "cumulative",
        "fagai",
        INDICATOR_SOURCE,
        "120",
        MonthSpec(
            "108",
            "104.5",
            "103.2",
            True,
            "部分重点项目受冬季停工影响,投资入库滞后。",
            "加快项目手续办理,推动已开工项目及时入库。",
        ),
        MonthSpec(
            "120", "116", gap_reason="两个续建项目资金未到位。", measures="争取专项债资金,县领导包联推进。"
        ),
    ),
    IndicatorSpec(
        "规上工业增加值增速",
        "%",
        "growth",
        "gongxin",
        INDICATOR_SOURCE,
        "6.5",
        MonthSpec("6.5", "7.1", "6.8", True),
        MonthSpec("6.5", "6.6"),
    ),
    IndicatorSpec(
        "建筑业产值",
        "亿元",
        "cumulative",
        "zhujian",
        INDICATOR_SOURCE,
        "42",
        MonthSpec(
            "38.5",
            "35.2",
            "34.6",
            False,
            "冬季施工项目减少,资质企业产值申报不及时。",
            "督促在建项目冬季施工,指导企业按月申报产值。",
        ),
        MonthSpec("42", "39", gap_reason="冬季施工项目减少。", measures="推动房建项目室内工序施工。"),
    ),
    IndicatorSpec(
        "城镇居民人均可支配收入",
        "元",
        "cumulative",
        "renshe",
        INDICATOR_SOURCE,
        "38600",
        MonthSpec("35200", "35350", "35310", True),
        MonthSpec("38600", "38650"),
    ),
    IndicatorSpec(
        "农村居民人均可支配收入",
        "元",
        "cumulative",
        "nongye",
        INDICATOR_SOURCE,
        "17800",
        MonthSpec(
            "16100",
            "15820",
            "15760",
            True,
            "农产品价格走低,工资性收入增长放缓。",
            "落实稳岗就业措施,拓宽农民增收渠道。",
        ),
        MonthSpec(
            "17800", "17500", gap_reason="农产品价格走低。", measures="组织冬春农民工技能培训和劳务输出。"
        ),
    ),
    IndicatorSpec(
        "开发区营业收入",
        "亿元",
        "cumulative",
        "kfq",
        INDICATOR_SOURCE,
        "260",
        MonthSpec("236", "241"),
        MonthSpec("260", "262"),
    ),
)


# ---- Accounts --------------------------------------------------------------------------------


def units_with_officials() -> list[UnitSpec]:
    """Units that lead or cooperate on a task, sit on a task force or report an indicator get an official."""
    used = {slug for spec in TASKS for slug in (spec.lead, *spec.coop)}
    used |= {report.unit for spec in TASKS for report in spec.coop_reports}
    used |= {slug for action in ACTIONS for slug in (action.lead, *action.task_force)}
    used |= {slug for spec in INDICATORS for slug in (spec.responsible, spec.source)}
    return [unit for unit in COUNTY_UNITS if unit.slug in used]


def official_position(unit: UnitSpec) -> str:
    return unit.official or DEFAULT_OFFICIAL[unit.kind]


def _demo_accounts() -> list[tuple[str, str]]:
    main = {"office", "leader", "inspector"}
    accounts = [(p.username, p.about) for p in (*OFFICES, *LEADERS, *INSPECTORS) if p.username in main]
    accounts.sort(key=lambda row: ["office", "leader", "inspector"].index(row[0]))
    accounts += [("wanan", "万安镇党政办主任(单位填报员)"), ("yingji", "县应急管理局综合股股长(单位填报员)")]
    accounts += [(p.username, p.about) for p in (*OFFICES, *LEADERS, *INSPECTORS) if p.username not in main]
    accounts += [(p.username, p.about) for p in EXTRA_OFFICIALS]
    accounts += [
        (unit.slug, f"{unit.name}{official_position(unit)}(单位填报员)")
        for unit in units_with_officials()
        if unit.slug not in {"wanan", "yingji"}
    ]
    return accounts


# (username, what the account is for); all log in with DEMO_PASSWORD. The first five are the
# ones to try first: the office, the county head, an inspector, a township, a department.
DEMO_ACCOUNTS: list[tuple[str, str]] = _demo_accounts()
MAIN_ACCOUNTS = 5
