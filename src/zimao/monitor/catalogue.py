"""The catalogue of indicators — 指标目录.

Indicators are defined here, in code, and synced into the ``Indicator`` table after every
``migrate`` (like Django's permissions), so other apps can import the codes as constants and the
pages can still let an administrator publish or unpublish one.

Two sources (来源):

* **computed** (平台计算): fed by the facts other apps announce (``zimao.core.events``; a stream
  is the fact topic of the same name, see ``monitor/subscribers.py``) and kept as monthly
  rollups. Several indicators may read one *stream*: e.g. the RCEP stream gives both the number
  of certificates and the sum of their FOB value.
* **reported** (统计报送): imported statistics (Excel/CSV) and the zone report's figures.

A computed indicator may also hold reported observations for periods before the platform
went live (e.g. the report's 317 RCEP certificates in 2022-01..06); each figure says its source.
"""

from __future__ import annotations

from decimal import Decimal

# ---------------------------------------------------------------------------------------------
# Event streams: the fact topics other apps announce (zimao.core.events.announce_fact).
# ---------------------------------------------------------------------------------------------
NEW_MARKET_ENTITIES = "market.new_entities"  # registry: a market entity registered; dimension = entity type
ESTABLISHMENTS = "registry.establishments"  # registry: an enterprise establishment finished; a fact with seconds
PERMITS_ISSUED = "permits.issued"  # permits: a permit/filing receipt issued or a 取消审批 activity noted; dim = mode
RCEP_CERTIFICATES = "trade.rcep_certificates"  # trade: an RCEP certificate of origin issued; value = FOB in CNY yuan
CASES_COMPLETED = "cases.completed"  # cases: a case finished (办结); dimension = service code
CASES_CROSS_ZONE = (
    "cases.cross_zone"  # cases/alliance: a case handled for/with another zone; dimension = peer zone code
)
RATINGS = "cases.ratings"  # cases: a 好差评 rating given; dimension = level "1".."5" (GB/T 39734)
BONDED_DECLARATIONS = "bonded.declarations"  # bonded: a customs declaration cleared; value = USD
BONDED_MOVEMENTS = "bonded.movements"  # bonded: a trade list posted to a bonded book; value = USD; dim = movement
BONDED_BOOKS_ACTIVE = "bonded.books_active"  # bonded: a book with goods moving in a month; dim = book type (T/H)

STREAMS = {
    NEW_MARKET_ENTITIES: "count",
    ESTABLISHMENTS: "duration",
    PERMITS_ISSUED: "count",
    RCEP_CERTIFICATES: "count",
    CASES_COMPLETED: "count",
    CASES_CROSS_ZONE: "count",
    RATINGS: "count",
    BONDED_DECLARATIONS: "count",
    BONDED_MOVEMENTS: "count",
    BONDED_BOOKS_ACTIVE: "count",
}

# Suggested dimension values (the owning app decides; unknown values are shown as they are).
ENTITY_TYPES = {
    "enterprise": ("企业", "enterprise"),
    "foreign_enterprise": ("外资企业", "foreign-invested enterprise"),
    "branch": ("分支机构", "branch"),
    "individual": ("个体工商户", "individual business"),
    "cooperative": ("农民专业合作社", "farmers' cooperative"),
}
REFORM_MODES = {  # 证照分离 four reform modes
    "cancelled": ("直接取消审批", "approval cancelled"),
    "filing": ("审批改为备案", "approval replaced by filing"),
    "commitment": ("实行告知承诺", "notification and commitment"),
    "optimised": ("优化审批服务", "approval services optimised"),
}
BONDED_MOVEMENT_KINDS = {  # 综保区进出区业务类型
    "import_abroad": ("一线进境", "in from abroad"),
    "export_abroad": ("一线出境", "out to abroad"),
    "domestic_out": ("二线出区（内销）", "sold into the domestic market"),
    "domestic_in": ("二线入区", "in from the domestic market"),
}
RATING_LEVELS = {  # GB/T 39734-2020 five levels
    "5": ("非常满意", "very satisfied"),
    "4": ("满意", "satisfied"),
    "3": ("基本满意", "fairly satisfied"),
    "2": ("不满意", "dissatisfied"),
    "1": ("非常不满意", "very dissatisfied"),
}

HOUR = Decimal(3600)
MINUTE = Decimal(60)


def _i(
    code,
    zh,
    en,
    unit_zh,
    unit_en,
    *,
    category,
    source="reported",
    frequency="irregular",
    aggregation="value",
    stream="",
    param="",
    scale=1,
    decimals=0,
    published=True,
    higher_is_better=True,
    definition_zh="",
    definition_en="",
    dimensions=None,
):
    return {
        "code": code,
        "name_zh": zh,
        "name_en": en,
        "unit_zh": unit_zh,
        "unit_en": unit_en,
        "category": category,
        "source": source,
        "frequency": frequency,
        "aggregation": aggregation,
        "stream": stream,
        "param": param,
        "scale": Decimal(scale),
        "decimals": decimals,
        "published": published,
        "higher_is_better": higher_is_better,
        "definition_zh": definition_zh or zh,
        "definition_en": definition_en or en,
        "dimension_labels": {k: list(v) for k, v in (dimensions or {}).items()},
    }


CATEGORIES = {
    "market": ("市场主体", "Market entities"),
    "services": ("政务服务", "Government services"),
    "openness": ("开放型经济", "Open economy"),
    "reform": ("制度创新", "Institutional innovation"),
    "industry": ("产业发展", "Industry"),
    "tiers": ("企业梯队", "Enterprise tiers"),
    "innovation": ("创新平台", "Innovation platforms"),
    "finance": ("金融与上市", "Finance and listings"),
    "projects": ("项目建设", "Projects"),
    "bonded": ("综合保税区", "Bonded zone"),
    "zone": ("片区概况", "The zone"),
}

INDUSTRY_DIMENSIONS = {
    "smart_equipment": ("智能装备制造", "smart equipment manufacturing"),
    "electronics": ("电子信息", "electronic information"),
    "new_energy_materials": ("新能源新材料", "new energy and new materials"),
    "biomedicine": ("生物医药", "biomedicine"),
}

INDICATORS: list[dict] = [
    # -- computed from the platform (平台计算) ------------------------------------------------
    _i(
        NEW_MARKET_ENTITIES,
        "新增市场主体",
        "New market entities",
        "家",
        "entities",
        category="market",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=NEW_MARKET_ENTITIES,
        definition_zh="本期在片区登记设立的市场主体数，按主体类型分列。",
        definition_en="Market entities registered in the zone in the period, by entity type.",
        dimensions=ENTITY_TYPES,
    ),
    _i(
        ESTABLISHMENTS,
        "企业开办办结数",
        "Enterprise establishments completed",
        "件",
        "cases",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=ESTABLISHMENTS,
        definition_zh="本期办结的企业开办（营业执照、印章、税务、社保、公积金、银行开户）件数。",
        definition_en="Enterprise establishments (licence, seal, tax, social insurance, housing fund, bank account) finished in the period.",
    ),
    _i(
        "registry.establishment_p50_hours",
        "企业开办用时中位数",
        "Enterprise establishment time, median",
        "小时",
        "hours",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="p50",
        stream=ESTABLISHMENTS,
        scale=HOUR,
        decimals=1,
        higher_is_better=False,
        definition_zh="从申请提交到全部环节办结的用时中位数（按固定分桶直方图估算，桶边界含60分钟与24小时）。",
        definition_en="Median time from submission to every step finished (estimated from a fixed-bucket histogram whose edges include 60 minutes and 24 hours).",
    ),
    _i(
        "registry.establishment_p90_hours",
        "企业开办用时90分位",
        "Enterprise establishment time, 90th percentile",
        "小时",
        "hours",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="p90",
        stream=ESTABLISHMENTS,
        scale=HOUR,
        decimals=1,
        higher_is_better=False,
        definition_zh="90%的企业开办在此用时内办结；对照“办理时限压缩至24小时”。",
        definition_en="90% of establishments finish within this time; compare with the 24-hour time limit.",
    ),
    _i(
        "registry.establishment_fastest_minutes",
        "企业开办最快用时",
        "Enterprise establishment, fastest",
        "分钟",
        "minutes",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="min",
        stream=ESTABLISHMENTS,
        scale=MINUTE,
        decimals=0,
        higher_is_better=False,
        definition_zh="本期最快办结的企业开办用时；对照“最快60分钟内完成”。",
        definition_en="The fastest establishment in the period; compare with 'fastest within 60 minutes'.",
    ),
    _i(
        "registry.establishment_within_24h",
        "企业开办24小时内办结率",
        "Establishments finished within 24 hours",
        "%",
        "%",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="share_le",
        param="86400",
        stream=ESTABLISHMENTS,
        decimals=1,
        definition_zh="24小时内办结的企业开办占比（由直方图精确得出，24小时是桶边界）。",
        definition_en="Share of establishments finished within 24 hours (exact: 24 hours is a bucket edge).",
    ),
    _i(
        PERMITS_ISSUED,
        "许可证发放数",
        "Permits issued",
        "件",
        "permits",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=PERMITS_ISSUED,
        dimensions=REFORM_MODES,
        definition_zh="本期签发的涉企经营许可证和备案凭证（电子证照）数，按“证照分离”改革方式（审批改为备案、"
        "实行告知承诺、优化审批服务）分列，含其后被撤销的；“直接取消审批”的事项不发证，计入企业"
        "在平台登记的经营活动记录数（每家企业每个事项计一次）。",
        definition_en="Business permits and filing receipts (e-licences) issued in the period, by 'separating permits "
        "from the licence' reform mode (approval replaced by filing, notification and commitment, "
        "approval services optimised), including any later revoked; items whose approval was cancelled "
        "issue nothing and count the activities companies noted on the platform instead (once per "
        "company and item).",
    ),
    _i(
        RCEP_CERTIFICATES,
        "RCEP原产地证书签发数",
        "RCEP certificates of origin issued",
        "份",
        "certificates",
        category="openness",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=RCEP_CERTIFICATES,
        definition_zh="本期签发的RCEP原产地证书份数。",
        definition_en="RCEP certificates of origin issued in the period.",
    ),
    _i(
        "trade.rcep_fob_value",
        "RCEP证书项下出口货值",
        "Exports under RCEP certificates (FOB)",
        "亿元",
        "100 million CNY",
        category="openness",
        source="computed",
        frequency="monthly",
        aggregation="sum",
        stream=RCEP_CERTIFICATES,
        scale=Decimal(100_000_000),
        decimals=2,
        definition_zh="本期RCEP原产地证书所列出口货物的离岸价（FOB）合计。",
        definition_en="Total FOB value of the exports covered by the period's RCEP certificates.",
    ),
    _i(
        CASES_COMPLETED,
        "办结件数",
        "Cases completed",
        "件",
        "cases",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=CASES_COMPLETED,
        definition_zh="本期办结的政务服务事项件数，按事项分列。",
        definition_en="Service cases completed in the period, by service.",
    ),
    _i(
        CASES_CROSS_ZONE,
        "跨区域通办件数",
        "Cases handled across zones",
        "件",
        "cases",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=CASES_CROSS_ZONE,
        definition_zh="通过“云端自贸审批互助联盟”异地受理、无差别办理的件数，按联盟片区分列。",
        definition_en="Cases accepted in one zone and handled in another through the alliance, by peer zone.",
    ),
    _i(
        RATINGS,
        "好差评评价数",
        "Service ratings (好差评)",
        "次",
        "ratings",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=RATINGS,
        dimensions=RATING_LEVELS,
        definition_zh="本期收到的政务服务“好差评”评价数，按五级评价分列（GB/T 39734-2020）。",
        definition_en="Service ratings received in the period, by the five levels of GB/T 39734-2020.",
    ),
    _i(
        "cases.rating_good_share",
        "好评率",
        "Share of good ratings",
        "%",
        "%",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="share_dim",
        param="4,5",
        stream=RATINGS,
        decimals=1,
        definition_zh="“满意”和“非常满意”占全部评价的比例。",
        definition_en="Share of 'satisfied' and 'very satisfied' ratings.",
    ),
    _i(
        "cases.rating_bad",
        "差评数",
        "Poor ratings (差评)",
        "次",
        "ratings",
        category="services",
        source="computed",
        frequency="monthly",
        aggregation="count_dim",
        param="1,2",
        stream=RATINGS,
        higher_is_better=False,
        definition_zh="“不满意”和“非常不满意”评价数，每一件都应整改回访。",
        definition_en="'Dissatisfied' and 'very dissatisfied' ratings; each one calls for a remedy and a follow-up.",
    ),
    _i(
        BONDED_DECLARATIONS,
        "综保区报关票数",
        "Bonded-zone customs declarations",
        "票",
        "declarations",
        category="bonded",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=BONDED_DECLARATIONS,
        definition_zh="综合保税区实单报关业务票数。",
        definition_en="Customs declarations cleared in the bonded zone.",
    ),
    _i(
        "bonded.trade_value",
        "综保区进出口额",
        "Bonded-zone imports and exports",
        "万美元",
        "10,000 USD",
        category="bonded",
        source="computed",
        frequency="monthly",
        aggregation="sum",
        stream=BONDED_DECLARATIONS,
        scale=Decimal(10_000),
        decimals=1,
        definition_zh="综合保税区报关货物的进出口额合计。",
        definition_en="Value of goods declared in the bonded zone.",
    ),
    _i(
        BONDED_MOVEMENTS,
        "综保区账册进出区清单",
        "Bonded-book movements through the gate",
        "票",
        "lists",
        category="bonded",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=BONDED_MOVEMENTS,
        dimensions=BONDED_MOVEMENT_KINDS,
        definition_zh="已过卡核扣的一线进出境、二线进出区核注清单数，按业务类型分列。",
        definition_en="Inventory write-off lists of goods in from or out to abroad and the domestic market, posted at the gate.",
    ),
    _i(
        BONDED_BOOKS_ACTIVE,
        "在用保税账册",
        "Bonded books in use",
        "本",
        "books",
        category="bonded",
        source="computed",
        frequency="monthly",
        aggregation="count",
        stream=BONDED_BOOKS_ACTIVE,
        dimensions={"T": ("物流账册（保税仓库）", "logistics (warehouse)"), "H": ("加工账册", "processing")},
        definition_zh="本月有货物入出或库存变动的保税账册数，每本账册每月计一次：保税仓库的使用情况。",
        definition_en="Bonded account books with goods moving in the month, each counted once a month: how the "
        "bonded warehouses are used.",
    ),
    _i(
        "bonded.book_trade_value",
        "综保区账册进出区货值",
        "Bonded-book trade value",
        "万美元",
        "10,000 USD",
        category="bonded",
        source="computed",
        frequency="monthly",
        aggregation="sum",
        stream=BONDED_MOVEMENTS,
        dimensions=BONDED_MOVEMENT_KINDS,
        scale=Decimal(10_000),
        decimals=1,
        definition_zh="保税账册已核扣进出区货物按当月海关汇率折算的美元货值合计；缺少汇率的月份在补录汇率后计入。",
        definition_en="Value in US dollars, at the month's customs rate, of goods posted in and out of bonded books; "
        "a month without a rate is counted once the rate is entered.",
    ),
    # -- reported statistics (统计报送) -------------------------------------------------------
    _i("zone.area", "片区面积", "Area of the zone", "平方公里", "km²", category="zone", decimals=2),
    _i(
        "market.entities_total",
        "累计入驻市场主体",
        "Market entities in the zone (cumulative)",
        "家",
        "entities",
        category="market",
        definition_zh="挂牌以来累计入驻片区的各类市场主体数。",
        definition_en="Market entities of every type that have settled in the zone since its launch.",
    ),
    _i(
        "market.new_entities_multiple",
        "新增市场主体为挂牌前倍数",
        "New market entities, multiple of pre-launch",
        "倍",
        "×",
        category="market",
        decimals=2,
    ),
    _i(
        "market.enterprises_total",
        "累计入驻企业",
        "Enterprises in the zone (cumulative)",
        "家",
        "enterprises",
        category="market",
    ),
    _i(
        "market.enterprises_multiple",
        "入驻企业为挂牌前倍数",
        "Enterprises, multiple of pre-launch",
        "倍",
        "×",
        category="market",
        decimals=2,
    ),
    _i(
        "market.new_foreign_enterprises",
        "新注册外资企业",
        "Newly registered foreign-invested enterprises",
        "家",
        "enterprises",
        category="openness",
    ),
    _i(
        "openness.fdi_actual",
        "实际利用外资",
        "Foreign investment actually used",
        "亿美元",
        "100 million USD",
        category="openness",
        decimals=2,
    ),
    _i(
        "openness.fdi_multiple",
        "实际利用外资为挂牌前倍数",
        "Foreign investment used, multiple of pre-launch",
        "倍",
        "×",
        category="openness",
        decimals=2,
    ),
    _i(
        "openness.fdi_direct_eur",
        "直接吸收外资资金",
        "Foreign capital absorbed directly",
        "万欧元",
        "10,000 EUR",
        category="openness",
    ),
    _i(
        "trade.import_export",
        "进出口额",
        "Imports and exports",
        "亿元",
        "100 million CNY",
        category="openness",
        decimals=2,
    ),
    _i(
        "trade.import_export_multiple",
        "进出口额为挂牌前倍数",
        "Imports and exports, multiple of pre-launch",
        "倍",
        "×",
        category="openness",
        decimals=2,
    ),
    _i(
        "permits.on_licence",
        "集成到营业执照的涉企许可",
        "Permit types integrated on the business licence",
        "类",
        "permit types",
        category="services",
    ),
    _i(
        "alliance.zones",
        "云端自贸审批互助联盟片区",
        "Zones in the cloud FTZ approval alliance",
        "个",
        "zones",
        category="services",
    ),
    _i("alliance.provinces", "联盟覆盖省份", "Provinces in the alliance", "个", "provinces", category="services"),
    _i(
        "reform.approval_reform_documents",
        "审批制度改革文件",
        "Approval-reform documents issued",
        "个",
        "documents",
        category="reform",
    ),
    _i(
        "reform.innovation_outcomes_total",
        "累计制度创新成果",
        "Institutional-innovation outcomes (cumulative)",
        "项",
        "outcomes",
        category="reform",
    ),
    _i(
        "reform.innovation_outcomes",
        "新推出制度创新成果",
        "New institutional-innovation outcomes",
        "项",
        "outcomes",
        category="reform",
    ),
    _i(
        "reform.province_first_outcomes", "其中全省首创", "of which province-first", "项", "outcomes", category="reform"
    ),
    _i(
        "reform.pilots_landed",
        "在片区落地的国家、省试点",
        "National or provincial pilots landed in the zone",
        "项",
        "pilots",
        category="reform",
    ),
    _i(
        "reform.national_pilot_experiences",
        "落实国务院复制推广试点经验",
        "State Council pilot experiences implemented",
        "项",
        "items",
        category="reform",
    ),
    _i(
        "reform.provincial_pilot_tasks",
        "落实省总体方案试点任务",
        "Provincial master-plan pilot tasks implemented",
        "项",
        "tasks",
        category="reform",
    ),
    _i(
        "industry.output",
        "主导产业产值",
        "Output of the leading industries",
        "亿元",
        "100 million CNY",
        category="industry",
        decimals=1,
        dimensions=INDUSTRY_DIMENSIONS,
        definition_zh="“3+1”主导产业完成产值，按产业分列；同比增长与上年同期比较。",
        definition_en="Output of the '3+1' leading industries, by industry; growth against the same period a year earlier.",
    ),
    _i(
        "industry.lead_enterprises_above_scale",
        "主导产业规上企业",
        "Leading-industry enterprises above designated size",
        "家",
        "enterprises",
        category="industry",
    ),
    _i(
        "investment.capital_leveraged",
        "撬动各类资本",
        "Capital leveraged",
        "亿元",
        "100 million CNY",
        category="industry",
    ),
    _i("tiers.high_tech", "高新技术企业", "High-tech enterprises", "家", "enterprises", category="tiers"),
    _i("tiers.tech_smes", "科技型中小企业", "Technology-based SMEs", "家", "enterprises", category="tiers"),
    _i(
        "tiers.specialised",
        "“专精特新”企业",
        "'Specialised, refined, distinctive, innovative' enterprises",
        "家",
        "enterprises",
        category="tiers",
    ),
    _i("tiers.little_giants", "“小巨人”培育企业", "'Little giant' candidates", "家", "enterprises", category="tiers"),
    _i(
        "tiers.hidden_champions",
        "“隐形冠军”企业及培育企业",
        "'Hidden champions' and candidates",
        "家",
        "enterprises",
        category="tiers",
    ),
    _i("innovation.platforms", "创新平台", "Innovation platforms", "家", "platforms", category="innovation"),
    _i(
        "innovation.national_platforms",
        "国家级创新平台",
        "National innovation platforms",
        "家",
        "platforms",
        category="innovation",
        dimensions={
            "research_institutes": ("国家级科研院所", "national research institutes"),
            "key_labs": ("国家级重点（工程）实验室", "national key (engineering) laboratories"),
            "enterprise_tech_centres": ("国家级企业技术中心", "national enterprise technology centres"),
        },
    ),
    _i(
        "innovation.provincial_rd_institutions",
        "省新型研发机构",
        "Provincial new-type R&D institutions",
        "家",
        "institutions",
        category="innovation",
    ),
    _i(
        "innovation.new_city_platforms",
        "新培育市级以上创新平台",
        "New innovation platforms at city level or above",
        "个",
        "platforms",
        category="innovation",
    ),
    _i(
        "innovation.rd_coverage",
        "规上企业研发覆盖率",
        "R&D coverage of enterprises above designated size",
        "%",
        "%",
        category="innovation",
        decimals=1,
    ),
    _i(
        "innovation.rd_intensity",
        "研发经费占地方GDP比重",
        "R&D spending as a share of local GDP",
        "%",
        "%",
        category="innovation",
        decimals=1,
    ),
    _i("innovation.incubators", "孵化载体", "Incubators", "家", "incubators", category="innovation"),
    _i(
        "innovation.incubator_area",
        "孵化面积",
        "Incubation floor area",
        "万平方米",
        "10,000 m²",
        category="innovation",
        decimals=2,
    ),
    _i("innovation.incubated_firms", "在孵企业", "Firms in incubation", "家", "firms", category="innovation"),
    _i(
        "innovation.invention_patents_per_10k",
        "万人发明专利拥有量",
        "Invention patents per 10,000 people",
        "件",
        "patents",
        category="innovation",
    ),
    _i(
        "innovation.patents_vs_national",
        "万人发明专利为全国平均水平倍数",
        "Patents per 10,000 people, multiple of the national average",
        "倍",
        "×",
        category="innovation",
    ),
    _i("finance.institutions", "金融机构", "Financial institutions", "家", "institutions", category="finance"),
    _i(
        "finance.quasi_institutions",
        "类金融机构",
        "Quasi-financial institutions",
        "家",
        "institutions",
        category="finance",
    ),
    _i(
        "finance.main_board_listed",
        "主板上市企业",
        "Main-board listed companies",
        "家",
        "companies",
        category="finance",
    ),
    _i("finance.neeq_listed", "新三板挂牌企业", "NEEQ-listed companies", "家", "companies", category="finance"),
    _i(
        "finance.listing_reserve",
        "市级以上后备上市企业",
        "Listing candidates (city level or above)",
        "家",
        "companies",
        category="finance",
    ),
    _i(
        "projects.key_provincial_municipal",
        "省市重点项目",
        "Key provincial and municipal projects",
        "项",
        "projects",
        category="projects",
    ),
    _i(
        "projects.three_batches",
        "“三个一批”在库项目",
        "'Three batches' projects in the pipeline",
        "个",
        "projects",
        category="projects",
    ),
    _i(
        "bonded.built_area",
        "综保区已完成建筑面积",
        "Bonded zone: floor area built",
        "万平方米",
        "10,000 m²",
        category="bonded",
        decimals=2,
    ),
    _i("bonded.warehouses", "保税仓库", "Bonded warehouses", "栋", "buildings", category="bonded"),
    _i(
        "bonded.signed_projects",
        "综保区签约入驻项目",
        "Bonded zone: projects signed",
        "个",
        "projects",
        category="bonded",
    ),
    _i(
        "bonded.signed_investment",
        "综保区签约项目总投资",
        "Bonded zone: investment of signed projects",
        "亿元",
        "100 million CNY",
        category="bonded",
        decimals=1,
    ),
    _i(
        "bonded.potential_trade",
        "签约项目可实现进出口额",
        "Bonded zone: expected trade of signed projects",
        "亿元",
        "100 million CNY",
        category="bonded",
        decimals=1,
    ),
    _i(
        "bonded.trade_value_cny",
        "综保区进出口交易额（人民币）",
        "Bonded zone: trade in CNY",
        "亿元",
        "100 million CNY",
        category="bonded",
        decimals=1,
    ),
    _i(
        "bonded.cross_border_ecommerce_firms",
        "入驻区域跨境电商",
        "Cross-border e-commerce firms settled",
        "家",
        "firms",
        category="bonded",
    ),
    _i(
        "bonded.settling_trade_firms",
        "区内交易结算贸易企业",
        "Trading firms settling in the zone",
        "家",
        "firms",
        category="bonded",
    ),
]

BY_CODE = {d["code"]: d for d in INDICATORS}


def stream_of(code: str) -> str | None:
    """The event stream an indicator or stream code refers to, or None."""
    if code in STREAMS:
        return code
    d = BY_CODE.get(code)
    return d["stream"] if d and d["stream"] in STREAMS else None


def sync(using: str = "default") -> int:
    """Upsert every catalogue indicator (keeps an administrator's ``published`` choice)."""
    from zimao.monitor.models import Indicator

    existing = {i.code: i for i in Indicator.objects.using(using).all()}
    changed = 0
    for order, d in enumerate(INDICATORS):
        fields = {k: v for k, v in d.items() if k not in ("code", "published")}
        fields["sort"] = order
        row = existing.get(d["code"])
        if row is None:
            Indicator.objects.using(using).create(code=d["code"], published=d["published"], **fields)
            changed += 1
            continue
        dirty = [k for k, v in fields.items() if getattr(row, k) != v]
        if dirty:
            for k in dirty:
                setattr(row, k, fields[k])
            row.save(using=using, update_fields=dirty)
            changed += 1
    return changed
