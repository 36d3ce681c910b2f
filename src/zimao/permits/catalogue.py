"""Reading the permit catalogue (事项清单): which items a case holds, what each one covers, and
the published conditions of a 告知承诺 item with their version hash.

Everything here reads catalogue data only; a new permit is a new catalogue entry.
"""

from __future__ import annotations

import hashlib
import re

from zimao.catalog import services as catalog
from zimao.catalog.models import Activity, ReformMode, ServiceItem

MODE_WORDS = {
    ReformMode.CANCELLED: ("直接取消审批", "Approval abolished"),
    ReformMode.FILING: ("审批改为备案", "Approval replaced by filing"),
    ReformMode.COMMITMENT: ("实行告知承诺", "Notification-commitment"),
    ReformMode.OPTIMISED: ("优化审批服务", "Approval simplified"),
}
MODE_ORDER = [ReformMode.CANCELLED, ReformMode.FILING, ReformMode.COMMITMENT, ReformMode.OPTIMISED]


def mode_words(mode: str) -> tuple[str, str]:
    return MODE_WORDS.get(mode, ("", ""))


def is_permit_item(item: ServiceItem) -> bool:
    """A 证照分离 item (in one of the four modes), not a bundle or another service."""
    return bool(item.reform_mode) and not item.is_bundle


def permit_items(published_only: bool = True) -> list[ServiceItem]:
    qs = catalog.published_services() if published_only else ServiceItem.objects.select_related("department")
    return [s for s in qs.exclude(reform_mode="") if not s.is_bundle]


def items_of(service: ServiceItem) -> list[ServiceItem]:
    """The items a case of ``service`` holds: the bundle's members (一件事一次办), or the item."""
    return catalog.bundle_members(service)


def covered_items(item: ServiceItem) -> list[ServiceItem]:
    """What a merged (两证合一) or industry (一业一证) permit replaces, in catalogue order."""
    codes = list((item.permit or {}).get("covers", []))
    if not codes:
        return []
    found = {s.code: s for s in ServiceItem.objects.filter(code__in=codes).select_related("department")}
    return [found[c] for c in codes if c in found]


def merged_into(item: ServiceItem) -> ServiceItem | None:
    code = (item.permit or {}).get("merged_into")
    return ServiceItem.objects.filter(code=code).select_related("department").first() if code else None


def commitment_items(service: ServiceItem) -> list[ServiceItem]:
    """Every item of a case of ``service`` whose conditions the applicant commits to: commitment
    members, and commitment items a merged or industry permit covers."""
    out: dict[str, ServiceItem] = {}
    for item in items_of(service):
        if item.reform_mode == ReformMode.COMMITMENT:
            out.setdefault(item.code, item)
        for covered in covered_items(item):
            if covered.reform_mode == ReformMode.COMMITMENT:
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
    keys = {k for item in items for k in item.activities or []}
    acts = {a.key: a for a in Activity.objects.filter(key__in=keys)}
    gaps = []
    for item in items:
        needed = [acts[k] for k in item.activities or [] if k in acts]
        if needed and not any(scope_covers(business_scope, a) for a in needed):
            gaps.append((item, needed))
    return gaps


def conditions_hash(item: ServiceItem) -> str:
    """The version of the published conditions (告知内容版本): SHA-256 of both languages."""
    text = (item.conditions_zh or "").strip() + "\n\n" + (item.conditions_en or "").strip()
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
