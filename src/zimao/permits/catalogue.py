"""Reading the permit catalogue (事项清单): which items a case holds, what each one covers, and
the published conditions of a 告知承诺 item with their version hash.

Everything here reads catalogue data only; a new permit is a new catalogue entry. The reform's
vocabulary — an item's mode, conditions, validity, activities, what it issues (``permit``) and a
themed bundle's members (``bundle``) — is registered here with the catalogue as item attributes
(``catalog.extensions``); every other module reads them through ``facts``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from zimao.catalog import extensions
from zimao.catalog import services as catalog
from zimao.catalog.models import ServiceItem
from zimao.permits.models import Activity, ReformMode

# The item attributes permits registers with the catalogue (its vocabulary, the list's columns).
ATTRIBUTES = {
    "reform_mode": extensions.Attribute(
        "choice",
        "改革方式",
        "Reform mode",
        choices=(
            ("cancelled", "直接取消审批", "Approval abolished"),
            ("filing", "审批改为备案", "Approval replaced by filing"),
            ("commitment", "实行告知承诺", "Notification-commitment"),
            ("optimised", "优化审批服务", "Approval simplified"),
        ),
        column="改革方式",
        width=14,
        after="department",
        required_column=True,
    ),
    "validity_months": extensions.Attribute(
        "int?",
        "有效期（月）",
        "Validity (months)",
        column="有效期（月，空为长期）",
        width=10,
        after="promised_limit_days",
    ),
    "activities": extensions.Attribute(
        "list", "涉及经营范围", "Business-scope activities", column="涉及经营范围", width=24, after="validity_months"
    ),
    "conditions_zh": extensions.Attribute(
        "text", "告知承诺条件", "Conditions (Chinese)", column="告知承诺条件", width=50, after="activities"
    ),
    "conditions_en": extensions.Attribute(
        "text",
        "告知承诺条件（英文）",
        "Conditions (English)",
        column="告知承诺条件（英文）",
        width=40,
        after="conditions_zh",
    ),
    "permit": extensions.Attribute(
        "object", "证照配置", "What the item issues", column="证照配置（JSON）", width=30, after="process"
    ),
    "bundle": extensions.Attribute(
        "object", "主题服务配置", "Themed bundle", column="主题服务配置（JSON）", width=30, after="permit"
    ),
}


@dataclass(frozen=True)
class Facts:
    """What the permit reform says about one catalogue item (its registered attributes)."""

    reform_mode: str = ""
    conditions_zh: str = ""
    conditions_en: str = ""
    validity_months: int | None = None
    activities: list = field(default_factory=list)
    permit: dict = field(default_factory=dict)
    bundle: dict = field(default_factory=dict)

    @property
    def is_bundle(self) -> bool:
        return bool((self.bundle or {}).get("members"))

    @property
    def mode_label(self) -> str:
        return str(ReformMode(self.reform_mode).label) if self.reform_mode in ReformMode.values else ""


def facts(item: ServiceItem) -> Facts:
    """The permit reform's attributes of ``item`` (defaults when the item is no permit item)."""
    return Facts(**extensions.values(item, "permits"))


def update(item: ServiceItem, **values) -> None:
    """Change an item's permit attributes (e.g. its published conditions) and save it."""
    extensions.update(item, "permits", values)


def reform_mode(item: ServiceItem) -> str:
    return facts(item).reform_mode


def is_bundle(item: ServiceItem) -> bool:
    return facts(item).is_bundle


def register() -> None:
    """Register the reform's vocabulary with the catalogue, and the data sections permits loads
    (business-scope activities, themed bundles)."""
    from zimao.permits import bundles

    extensions.register(
        "permits",
        attributes=ATTRIBUTES,
        sections={"activities": load_activities, "bundles": bundles.load_section},
        sheets=(
            extensions.Sheet(
                ACTIVITIES_SHEET, "activities", ACTIVITY_COLUMNS, ("key", "name_zh", "name_en"), _activity_rows
            ),
        ),
        check_row=check_row,
        route_row=route_row,
    )


ACTIVITIES_SHEET = "经营活动 Activities"
ACTIVITY_COLUMNS = (
    ("key", "活动编码"),
    ("name_zh", "经营范围表述"),
    ("name_en", "英文表述"),
    ("industry_code", "国民经济行业代码"),
)


def _activity_rows():
    return [(a.key, a.name_zh, a.name_en, a.industry_code) for a in activities().order_by("position", "key")]


def check_row(row: dict, context: dict) -> list[tuple[str, str, str]]:
    """An imported list row, across its permit cells: known activities, a commitment item's
    published conditions, a bundle's existing members."""
    out = []
    known = set(activities().values_list("key", flat=True)) | {a["key"] for a in context["data"].get("activities", [])}
    for key in row.get("activities") or []:
        if key not in known:
            out.append(
                (
                    "activities",
                    f"经营活动“{key}”不存在（见“{ACTIVITIES_SHEET}”工作表）",
                    f"activity {key!r} does not exist",
                )
            )
    bundle = row.get("bundle") or {}
    if row.get("reform_mode") == ReformMode.COMMITMENT and not row.get("conditions_zh") and not bundle:
        out.append(
            ("conditions_zh", "实行告知承诺的事项必须公布许可条件", "a commitment item must publish its conditions")
        )
    for m in bundle.get("members", []):
        code = m.get("code") if isinstance(m, dict) else m
        if code not in context["item_codes"]:
            out.append(("bundle", f"主题服务成员“{code}”不存在", f"bundle member {code!r} does not exist"))
    return out


def route_row(row: dict) -> tuple[str, dict] | None:
    """A list row with a ``bundle`` is a themed bundle, built from its members (``bundles``)."""
    bundle = row.get("bundle") or {}
    if not bundle:
        return None
    spec = {k: row[k] for k in ("code", "name_zh", "name_en", "department", "activities", "published") if k in row}
    return "bundles", {**bundle, **spec}


def load_activities(rows: list[dict], actor=None) -> dict:
    made = 0
    for position, row in enumerate(rows):
        _, created = Activity.objects.update_or_create(
            key=row["key"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "industry_code": row.get("industry_code", ""),
                "position": row.get("position", position),
            },
        )
        made += created
    return {"activities": made}


def activities():
    return Activity.objects.all()


MODE_WORDS = {ReformMode(value): (zh, en) for value, zh, en in ATTRIBUTES["reform_mode"].choices}
MODE_ORDER = [ReformMode.CANCELLED, ReformMode.FILING, ReformMode.COMMITMENT, ReformMode.OPTIMISED]


def mode_words(mode: str) -> tuple[str, str]:
    return MODE_WORDS.get(mode, ("", ""))


def is_permit_item(item: ServiceItem) -> bool:
    """A 证照分离 item (in one of the four modes), not a bundle or another service."""
    f = facts(item)
    return bool(f.reform_mode) and not f.is_bundle


def permit_items(published_only: bool = True) -> list[ServiceItem]:
    qs = catalog.published_services() if published_only else ServiceItem.objects.select_related("department")
    return [s for s in qs if is_permit_item(s)]


def items_of(service: ServiceItem) -> list[ServiceItem]:
    """The items a case of ``service`` holds: the bundle's members (一件事一次办), or the item."""
    return bundle_members(service)


def bundle_members(service: ServiceItem) -> list[ServiceItem]:
    """The member items of a themed bundle (一件事一次办) in their order; ``[service]`` for a plain item."""
    codes = [m["code"] if isinstance(m, dict) else m for m in facts(service).bundle.get("members", [])]
    if not codes:
        return [service]
    found = {s.code: s for s in ServiceItem.objects.filter(code__in=codes).select_related("department")}
    return [found[c] for c in codes if c in found]


def bundles_with(code: str) -> list[ServiceItem]:
    """Published bundles that hold the item ``code`` (the catalogue is small: filtered here); a
    bundle's existing-company variant is offered on the bundle's own page, not listed again."""
    out = []
    for s in catalog.published_services():
        members = facts(s).bundle.get("members", [])
        if members and not is_bundle_variant(s) and code in [m["code"] if isinstance(m, dict) else m for m in members]:
            out.append(s)
    return out


def is_bundle_variant(service: ServiceItem) -> bool:
    """A bundle's way in for an existing company (``variant_of`` the bundle)."""
    return bool(facts(service).bundle.get("variant_of"))


def bundle_for_existing_company(service: ServiceItem) -> ServiceItem | None:
    """The published existing-company variant of a bundle (一件事 for a company that exists)."""
    code = (facts(service).bundle.get("existing_company") or {}).get("code")
    if not code:
        return None
    return ServiceItem.objects.filter(code=code, published=True).first()


def covered_items(item: ServiceItem) -> list[ServiceItem]:
    """What a merged (两证合一) or industry (一业一证) permit replaces, in catalogue order."""
    codes = list(facts(item).permit.get("covers", []))
    if not codes:
        return []
    found = {s.code: s for s in ServiceItem.objects.filter(code__in=codes).select_related("department")}
    return [found[c] for c in codes if c in found]


def merged_into(item: ServiceItem) -> ServiceItem | None:
    code = facts(item).permit.get("merged_into")
    return ServiceItem.objects.filter(code=code).select_related("department").first() if code else None


def commitment_items(service: ServiceItem) -> list[ServiceItem]:
    """Every item of a case of ``service`` whose conditions the applicant commits to: commitment
    members, and commitment items a merged or industry permit covers."""
    out: dict[str, ServiceItem] = {}
    for item in items_of(service):
        if reform_mode(item) == ReformMode.COMMITMENT:
            out.setdefault(item.code, item)
        for covered in covered_items(item):
            if reform_mode(covered) == ReformMode.COMMITMENT:
                out.setdefault(covered.code, covered)
    return list(out.values())


# Brackets and what they hold (（含散装食品）, (excl. …)) and every separator and space: a
# registered scope says 食品销售 where the standard wording says 食品销售（含散装食品）.
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")
_NOT_WORDS = re.compile(r"[\s，,；;、。.：:]+")


def _scope_words(text: str) -> str:
    return _NOT_WORDS.sub("", _BRACKETED.sub("", text or ""))


def scope_covers(business_scope: str, activity: Activity) -> bool:
    """Does the registered business scope (经营范围, free text) name ``activity`` — its standard
    wording, brackets aside?"""
    words = _scope_words(activity.name_zh)
    return bool(words) and words in _scope_words(business_scope)


def out_of_scope(service: ServiceItem, business_scope: str) -> list[tuple[ServiceItem, list[Activity]]]:
    """The 告知承诺 items of ``service`` the company's registered scope does not cover, each with
    the activities one of which the scope must name (the advisor's scope↔permit mapping read
    backwards). An item tied to no activity is not checked."""
    items = commitment_items(service)
    keys = {k for item in items for k in facts(item).activities}
    acts = {a.key: a for a in Activity.objects.filter(key__in=keys)}
    gaps = []
    for item in items:
        needed = [acts[k] for k in facts(item).activities if k in acts]
        if needed and not any(scope_covers(business_scope, a) for a in needed):
            gaps.append((item, needed))
    return gaps


def conditions_hash(item: ServiceItem) -> str:
    """The version of the published conditions (告知内容版本): SHA-256 of both languages."""
    f = facts(item)
    text = (f.conditions_zh or "").strip() + "\n\n" + (f.conditions_en or "").strip()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conditions_version(service: ServiceItem) -> str:
    """One version string for everything a case of ``service`` commits to (a single item, an
    industry permit's covered items, or a bundle's members)."""
    hashes = "|".join(f"{i.code}:{conditions_hash(i)}" for i in commitment_items(service))
    return hashlib.sha256(hashes.encode()).hexdigest()


def item_outputs(item: ServiceItem) -> list[str]:
    """The outputs the item's own current process issues (``permit``, ``filing_receipt``…)."""
    proc = item.processes.filter(published=True).order_by("-version").first()
    if proc is None:
        return []
    return [o for s in proc.definition.get("stages", []) if s.get("type") == "issue" for o in s.get("outputs", [])]


def covered_task_key(item: ServiceItem, department_code: str) -> str:
    return f"{item.code}:{department_code}"
