"""Monitoring tables — 运行监测.

* indicators — 指标, their observations (指标值), targets (目标);
* rollups — 汇总: per (stream, month, dimension) count/sum/min/max, duration histograms, and
  the event ledger that makes each event count once and lets a figure be drilled into;
* imports — 统计导入 jobs with progress, preview and errors;
* the zone's picture: industries and clusters (产业), key enterprises (重点企业), industry-chain
  maps (产业链图谱), projects (项目), and ledgers (台账) of innovation outcomes, pilot tasks,
  talent programmes.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zimao.monitor.periods import Period


def bilingual(obj, language: str | None, field: str = "name") -> str:
    """The ``<field>_en`` text in English (falling back to Chinese), ``<field>_zh`` otherwise."""
    zh = getattr(obj, f"{field}_zh", "")
    if (language or "").startswith("en"):
        return getattr(obj, f"{field}_en", "") or zh
    return zh


class Indicator(models.Model):
    """An indicator — 指标: what is measured, in what unit, how often, and from where."""

    SOURCES = [("computed", _("computed from the platform")), ("reported", _("reported statistics"))]
    FREQUENCIES = [
        ("monthly", _("monthly")),
        ("quarterly", _("quarterly")),
        ("half_yearly", _("half-yearly")),
        ("yearly", _("yearly")),
        ("irregular", _("irregular")),
    ]
    AGGREGATIONS = [
        ("value", _("reported value")),
        ("count", _("count of events")),
        ("sum", _("sum of event values")),
        ("p50", _("median duration")),
        ("p90", _("90th percentile duration")),
        ("min", _("fastest")),
        ("share_le", _("share within a time")),
        ("share_dim", _("share of some dimensions")),
        ("count_dim", _("count of some dimensions")),
    ]

    code = models.CharField(max_length=80, unique=True)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    unit_zh = models.CharField(max_length=40, blank=True)
    unit_en = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=40, blank=True)
    frequency = models.CharField(max_length=20, choices=FREQUENCIES, default="irregular")
    definition_zh = models.TextField(blank=True)
    definition_en = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=SOURCES, default="reported")
    # How a computed indicator reads its stream's rollups; "value" for reported ones.
    aggregation = models.CharField(max_length=12, choices=AGGREGATIONS, default="value")
    stream = models.CharField(max_length=80, blank=True, help_text="event stream code (computed only)")
    param = models.CharField(max_length=80, blank=True, help_text="threshold seconds or dimension list")
    # Displayed value = rollup value / scale (e.g. yuan → 亿元 is 1e8, seconds → hours is 3600).
    scale = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(1))
    decimals = models.PositiveSmallIntegerField(default=0)
    higher_is_better = models.BooleanField(default=True)
    published = models.BooleanField(default=True, help_text="shown on the public dashboard")
    dimension_labels = models.JSONField(default=dict, blank=True)
    sort = models.PositiveIntegerField(default=1000)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("indicator")

    def __str__(self):
        return f"{self.code} {self.name_zh}"

    def name(self, language=None):
        return bilingual(self, language)

    def unit(self, language=None):
        return bilingual(self, language, "unit")

    def definition(self, language=None):
        return bilingual(self, language, "definition")

    def dimension_label(self, key: str, language=None) -> str:
        if not key:
            return ""
        pair = (self.dimension_labels or {}).get(key)
        if not pair:
            return key
        return pair[1] if (language or "").startswith("en") else pair[0]


class IndicatorValue(models.Model):
    """One observation — 指标值: an indicator's value for a period (and a dimension).

    Growth (同比) is never stored; it is derived against the same period a year earlier.
    ``published_yoy`` only keeps a growth rate a *source* published without its base figure
    (the report gives "35.8亿元，同比增长9.9%" but not last year's output); a derived rate, when
    the base is known, always wins.
    """

    QUALIFIERS = [("", ""), ("over", _("over")), ("about", _("about")), ("nearly", _("nearly"))]

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    dimension = models.CharField(max_length=80, blank=True, default="")
    period_key = models.CharField(max_length=32)
    period_kind = models.CharField(max_length=12)
    period_start = models.DateField(null=True, blank=True, help_text="empty: since the zone's launch")
    period_end = models.DateField()
    value = models.DecimalField(max_digits=20, decimal_places=4)
    qualifier = models.CharField(max_length=8, choices=QUALIFIERS, blank=True, default="")
    published_yoy = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    section = models.CharField(max_length=40, blank=True, help_text="where the source states it, e.g. 一、（二）")
    source_note = models.CharField(max_length=300, blank=True)
    import_job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "dimension", "period_key"], name="monitor_value_unique_period")
        ]
        indexes = [models.Index(fields=["indicator", "dimension", "period_end"])]
        ordering = ["indicator", "period_end"]
        verbose_name = _("indicator value")

    @property
    def period(self) -> Period:
        return Period(self.period_end, self.period_start, self.period_kind)

    def set_period(self, period: Period) -> None:
        self.period_key, self.period_kind = period.key, period.kind
        self.period_start, self.period_end = period.start, period.end


class Target(models.Model):
    """A target — 目标: a value to reach (or stay within) by a deadline."""

    COMPARISONS = [("gt", _("more than")), ("gte", _("at least")), ("lte", _("at most"))]

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    dimension = models.CharField(max_length=80, blank=True, default="")
    value = models.DecimalField(max_digits=20, decimal_places=4)
    comparison = models.CharField(max_length=4, choices=COMPARISONS, default="gte")
    deadline = models.DateField(null=True, blank=True, help_text="empty: a standing commitment")
    note_zh = models.CharField(max_length=300, blank=True)
    note_en = models.CharField(max_length=300, blank=True)
    section = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["indicator", "deadline"]
        verbose_name = _("target")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "dimension", "deadline", "comparison"], name="monitor_target_unique"
            )
        ]

    def met_by(self, value) -> bool | None:
        if value is None:
            return None
        value = Decimal(value)
        return {"gt": value > self.value, "gte": value >= self.value, "lte": value <= self.value}[self.comparison]


# --- rollups ------------------------------------------------------------------------------------


class Rollup(models.Model):
    """Per (stream, month, dimension): how many events, their sum, min and max — 月度汇总.

    Maintained by the ``apply_event`` task; pages read these rows, never the cases.
    """

    stream = models.CharField(max_length=80)
    period = models.CharField(max_length=7, help_text="YYYY-MM in the zone's time zone")
    dimension = models.CharField(max_length=80, blank=True, default="")
    count = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=24, decimal_places=4, default=Decimal(0))
    min_value = models.DecimalField(max_digits=24, decimal_places=4, null=True)
    max_value = models.DecimalField(max_digits=24, decimal_places=4, null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "period", "dimension"], name="monitor_rollup_unique")]
        indexes = [models.Index(fields=["stream", "period"])]


class DurationBucket(models.Model):
    """One bucket of a duration histogram per (stream, month, dimension) — 用时分布.

    Fixed buckets (see ``rollups.BUCKET_EDGES``) merge by addition across months and dimensions,
    so the median and 90th percentile of any period come from a few dozen rows.
    """

    stream = models.CharField(max_length=80)
    period = models.CharField(max_length=7)
    dimension = models.CharField(max_length=80, blank=True, default="")
    bucket = models.PositiveSmallIntegerField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "period", "dimension", "bucket"], name="monitor_bucket_unique")
        ]


class MonitorEvent(models.Model):
    """An event counted into a rollup — 事件台账: once per ``event_key``, and what to drill into."""

    stream = models.CharField(max_length=80)
    event_key = models.CharField(max_length=200)
    at = models.DateTimeField()
    period = models.CharField(max_length=7)
    dimension = models.CharField(max_length=80, blank=True, default="")
    value = models.DecimalField(max_digits=24, decimal_places=4, default=Decimal(1))
    ref = models.CharField(max_length=120, blank=True, help_text="case number, USCC, certificate number…")
    label = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "event_key"], name="monitor_event_once")]
        # The drill-down list: a stream's (or one dimension's) events in time order, first 500.
        indexes = [
            models.Index(fields=["stream", "at", "id"], name="monitor_event_stream_at"),
            models.Index(fields=["stream", "dimension", "at", "id"], name="monitor_event_dim_at"),
        ]
        ordering = ["at", "id"]


# --- imports ------------------------------------------------------------------------------------


class ImportJob(models.Model):
    """A statistics import — 统计数据导入: upload → validate (progress) → preview → commit."""

    STATUSES = [
        ("queued", _("queued")),
        ("validating", _("validating")),
        ("preview", _("ready to commit")),
        ("invalid", _("has errors")),
        ("committing", _("committing")),
        ("committed", _("committed")),
        ("failed", _("failed")),
    ]
    RUNNING = ("queued", "validating", "committing")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    status = models.CharField(max_length=12, choices=STATUSES, default="queued")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list, blank=True, help_text="validated rows, committed as they are")
    summary = models.JSONField(default=dict, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("statistics import")

    @property
    def percent(self) -> int:
        if self.status in ("preview", "invalid", "committed"):
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def running(self) -> bool:
        return self.status in self.RUNNING


# --- the zone's picture -------------------------------------------------------------------------


class Industry(models.Model):
    """An industry or cluster — 产业: the "3+1" leading industries, the eight clusters, the "风口"."""

    GROUPS = [
        ("lead", _("'3+1' leading industry")),
        ("cluster", _("industrial cluster")),
        ("frontier", _("frontier ('风口') industry")),
        ("bonded_base", _("bonded-zone base")),
    ]

    key = models.CharField(max_length=60, unique=True)
    group = models.CharField(max_length=12, choices=GROUPS)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    lead_role = models.CharField(max_length=4, blank=True, help_text='"3" or "+1" for the leading industries')
    section = models.CharField(max_length=40, blank=True)
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["group", "sort", "key"]
        verbose_name = _("industry")

    def __str__(self):
        return self.name_zh

    def name(self, language=None):
        return bilingual(self, language)


class Enterprise(models.Model):
    """A key enterprise — 重点企业, linked to the registry by its USCC (统一社会信用代码).

    ``uscc_is_demo`` marks a generated demo code (never presented as the company's real one).
    """

    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    uscc = models.CharField(max_length=18, unique=True)
    uscc_is_demo = models.BooleanField(default=False)
    industries = models.ManyToManyField(Industry, related_name="enterprises", blank=True)
    section = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name_zh"]
        verbose_name = _("key enterprise")

    def __str__(self):
        return self.name_zh

    def name(self, language=None):
        return bilingual(self, language)


class Chain(models.Model):
    """An industry chain — 产业链 — for the investment-promotion map (产业链招商图谱)."""

    key = models.CharField(max_length=60, unique=True)
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.SET_NULL, related_name="chains")
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    illustrative = models.BooleanField(default=False, help_text="structure not taken from a source document")
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort", "key"]
        verbose_name = _("industry chain")

    def __str__(self):
        return self.name_zh

    def name(self, language=None):
        return bilingual(self, language)


class ChainLink(models.Model):
    """A link of a chain — 环节 (upstream 上游, midstream 中游, downstream 下游).

    A link with no enterprise is a gap (缺链环节) that investment promotion should target.
    """

    STAGES = [("up", _("upstream")), ("mid", _("midstream")), ("down", _("downstream"))]

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="links")
    stage = models.CharField(max_length=4, choices=STAGES)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    enterprises = models.ManyToManyField(Enterprise, related_name="chain_links", blank=True)
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["chain", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["chain", "name_zh"], name="monitor_link_unique")]

    def name(self, language=None):
        return bilingual(self, language)


class Project(models.Model):
    """A project — 项目: key provincial/municipal projects, signed investment, funds.

    The pipeline runs 洽谈 negotiating → 签约 signed → 在建 under construction → 投产 in production.
    """

    KINDS = [
        ("key", _("key provincial/municipal project")),
        ("signed", _("signed investment project")),
        ("bonded", _("bonded-zone project")),
        ("fund", _("industrial fund")),
    ]
    STAGES = [
        ("negotiating", _("negotiating")),
        ("signed", _("signed")),
        ("construction", _("under construction")),
        ("production", _("in production")),
        ("capitalised", _("capital in place")),
    ]
    PIPELINE = ["negotiating", "signed", "construction", "production"]

    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=KINDS)
    stage = models.CharField(max_length=12, choices=STAGES)
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.SET_NULL)
    investment = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, help_text="亿元")
    progress = models.PositiveSmallIntegerField(null=True, blank=True, help_text="percent")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    section = models.CharField(max_length=60, blank=True)
    note_zh = models.CharField(max_length=300, blank=True)
    note_en = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "name_zh"]
        constraints = [models.UniqueConstraint(fields=["kind", "name_zh"], name="monitor_project_unique")]
        verbose_name = _("project")

    def name(self, language=None):
        return bilingual(self, language)


class InnovationOutcome(models.Model):
    """An institutional-innovation outcome — 制度创新成果 — and how far it travelled."""

    LEVELS = [
        ("national_best", _("national best-practice case")),
        ("national_replication", _("replicated nationally")),
        ("national_recognition", _("national recognition")),
        ("national_first", _("first in the country")),
        ("province_first", _("first in the province")),
        ("city_first", _("first in the city")),
        ("provincial_recognition", _("provincial recognition")),
        ("submitted", _("submitted for national review")),
        ("zone", _("zone")),
    ]
    REPLICATION = [
        ("replicated_national", _("replicated nationally")),
        ("under_review", _("under review")),
        ("published", _("published")),
        ("local", _("local")),
    ]

    title_zh = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    level = models.CharField(max_length=24, choices=LEVELS)
    replication = models.CharField(max_length=20, choices=REPLICATION, default="local")
    count = models.PositiveIntegerField(default=1, help_text="outcomes this row stands for (等3项)")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    section = models.CharField(max_length=60, blank=True)
    note_zh = models.CharField(max_length=400, blank=True)
    note_en = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["title_zh", "level"], name="monitor_outcome_unique")]
        verbose_name = _("innovation outcome")

    def title(self, language=None):
        return bilingual(self, language, "title")


class PilotTask(models.Model):
    """A national or provincial pilot task — 试点任务 — and its implementation status."""

    LEVELS = [("national", _("national")), ("provincial", _("provincial")), ("unspecified", _("unspecified"))]
    STATUSES = [
        ("implemented", _("implemented")),
        ("in_progress", _("in progress")),
        ("seeking", _("seeking approval")),
        ("planned", _("planned")),
        ("blocked", _("blocked")),
    ]

    title_zh = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    level = models.CharField(max_length=12, choices=LEVELS)
    status = models.CharField(max_length=12, choices=STATUSES)
    items = models.PositiveIntegerField(null=True, blank=True, help_text="tasks or experiences this row covers")
    batches = models.PositiveIntegerField(null=True, blank=True)
    section = models.CharField(max_length=60, blank=True)
    note_zh = models.CharField(max_length=400, blank=True)
    note_en = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["title_zh"], name="monitor_pilot_unique")]
        verbose_name = _("pilot task")

    def title(self, language=None):
        return bilingual(self, language, "title")


class TalentProgramme(models.Model):
    """A talent programme — 人才计划 — and how many people or teams the zone has in it."""

    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    count = models.PositiveIntegerField()
    unit_zh = models.CharField(max_length=10, default="人")
    unit_en = models.CharField(max_length=20, default="people")
    section = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["name_zh"], name="monitor_talent_unique")]
        verbose_name = _("talent programme")

    def name(self, language=None):
        return bilingual(self, language)

    def unit(self, language=None):
        return bilingual(self, language, "unit")
