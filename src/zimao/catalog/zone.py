"""The zone profile — 片区配置: which zone this installation serves and in whose names it issues.

A zone of the alliance installs zimao and loads its profile (``zimao zone import FILE``, or the
admin page): its names (zh/en), its GB/T 2260 division, for every department the authority (机关)
that decides in its name with that authority's 18-character code (统一社会信用代码), which
department's authority is the registration authority (登记机关) on business licences, the place
of issue of certificates of origin, the public site address. Nothing zone-specific is in code.

Apps read it through ``current()`` (and the helpers below), never through the tables:
``current().authority("AMR")`` is the market regulator that signs a food business permit,
``registration_authority()`` is printed on business licences, ``place_of_issue()`` goes in box 16
of Form RCEP, ``site_url()`` is the configured public address (empty = the address the server is
reached at).

Until an administrator loads a profile, the packaged profile named by ``ZIMAO_ZONE_PROFILE`` (the
demo zone) is used read-only, so a fresh checkout issues well-formed documents; ``zimao demo``
stores it, ``zimao zone show`` says which one is in force.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from django.conf import settings
from django.db import transaction

from zimao.catalog.models import Department, ZoneProfile
from zimao.core import audit, divisions, identifiers, refcache, sitebase
from zimao.core.errors import BusinessError, Problem

log = logging.getLogger(__name__)

FORMAT = "zimao.zone/1"
PACKAGED_DIR = Path(__file__).parent / "data" / "zones"
PROFILE_FIELDS = (
    "key",
    "name_zh",
    "name_en",
    "division",
    "issuer_department",
    "registration_department",
    "origin_place",
    "site_url",
    "demo_codes",
    "note",
)


@dataclass(frozen=True)
class Authority:
    """An authority that issues in its own name — 发证机关: names and its unified social credit code."""

    department: str
    name_zh: str
    name_en: str
    uscc: str


@dataclass(frozen=True)
class Zone:
    """The profile in force, read once (a snapshot: nothing here touches the database)."""

    key: str
    name_zh: str
    name_en: str
    division: str
    issuer_department: str
    registration_department: str
    origin_place: str
    site_url: str
    demo_codes: bool
    authorities: Mapping[str, Authority] = field(default_factory=dict)  # read-only when read
    stored: bool = False

    @property
    def issuer(self) -> Authority:
        """The zone's own authority (管委会): defines the zone's licence types and issues what no
        department's authority decides."""
        return self.authorities[self.issuer_department]

    def authority(self, department_code: str | None) -> Authority:
        """The authority deciding for ``department_code``; the zone's own authority when the
        department has none configured (e.g. a window, or 相对集中行政许可 by the committee)."""
        return self.authorities.get(department_code or "") or self.issuer

    @property
    def registration_authority(self) -> Authority:
        return self.authority(self.registration_department)


# ---------------------------------------------------------------- reading


def packaged_profile(key: str) -> dict:
    """A profile shipped with zimao (``catalog/data/zones/KEY.json``)."""
    path = PACKAGED_DIR / f"{key}.json"
    if not path.is_file():
        raise BusinessError.of(
            "profile",
            "unknown_profile",
            f"没有名为 {key} 的内置片区配置。",
            f"No packaged zone profile is named {key}.",
        )
    return json.loads(path.read_text(encoding="utf-8"))


def packaged_keys() -> list[str]:
    return sorted(p.stem for p in PACKAGED_DIR.glob("*.json"))


def _from_data(data: dict, *, stored: bool = False) -> Zone:
    authorities = {
        row["code"]: Authority(row["code"], row["authority_name_zh"], row["authority_name_en"], row["authority_uscc"])
        for row in data.get("departments", [])
        if row.get("authority_uscc")
    }
    return Zone(
        **{k: data.get(k, "" if k != "demo_codes" else False) for k in PROFILE_FIELDS if k != "note"},
        authorities=MappingProxyType(authorities),  # shared by the whole process (core.refcache)
        stored=stored,
    )


# What the profile in force is read from (``export_profile``: the departments' authorities).
_MODELS = (ZoneProfile, Department)


def current() -> Zone:
    """The zone profile in force — 当前片区配置 (the stored active one, else the packaged default);
    from the reference cache (``core.refcache``), once per request."""
    memo = sitebase.request_memo()
    if memo is not None:
        if "zone" not in memo:
            memo["zone"] = _cached()
        return memo["zone"]
    return _cached()


def _cached() -> Zone:
    return refcache.get("catalog.zone", _read, _MODELS)


def _read() -> Zone:
    profile = ZoneProfile.objects.filter(active=True).first()
    if profile is None:
        return _from_data(packaged_profile(settings.ZIMAO_ZONE_PROFILE))
    return _from_data(export_profile(profile), stored=True)


def registration_authority() -> Authority:
    """The 登记机关 printed on business licences and the authority that signs them."""
    return current().registration_authority


def authority_for(department_code: str | None) -> Authority:
    """The authority that issues what ``department_code`` decides — 作出决定的机关."""
    return current().authority(department_code)


def place_of_issue() -> str:
    """Place of issue of certificates of origin (Form RCEP box 16), e.g. ``CITY, CHINA``."""
    return current().origin_place


def site_url() -> str:
    """The configured public address ('' = follow the address each request came to)."""
    return (current().site_url or getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")


# ---------------------------------------------------------------- export / import


def export_profile(profile: ZoneProfile | None = None) -> dict:
    """The profile as JSON-ready data (the file ``zimao zone export`` writes)."""
    profile = profile or ZoneProfile.objects.filter(active=True).first()
    if profile is None:
        return packaged_profile(settings.ZIMAO_ZONE_PROFILE)
    data = {"format": FORMAT, **{k: getattr(profile, k) for k in PROFILE_FIELDS}}
    data["departments"] = [
        {
            "code": d.code,
            "authority_name_zh": d.authority_name_zh,
            "authority_name_en": d.authority_name_en,
            "authority_uscc": d.authority_uscc,
        }
        for d in Department.objects.exclude(authority_uscc="").order_by("code")
    ]
    return data


def _required(data: dict, key: str, where: str, problems: list[Problem]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(f"{where}{key}", "required", f"{where}{key} 必填。", f"{where}{key} is required."))
        return ""
    return value.strip()


def profile_problems(data) -> list[Problem]:
    """Every reason ``data`` is not a usable zone profile, each naming its field."""
    if not isinstance(data, dict):
        return [Problem("profile", "dict_type", "片区配置应为 JSON 对象。", "A zone profile is a JSON object.")]
    problems: list[Problem] = []
    if data.get("format", FORMAT) != FORMAT:
        problems.append(Problem("format", "unknown_format", f"格式应为 {FORMAT}。", f"The format must be {FORMAT}."))
    for key in (
        "key",
        "name_zh",
        "name_en",
        "division",
        "issuer_department",
        "registration_department",
        "origin_place",
    ):
        _required(data, key, "", problems)
    division = data.get("division") or ""
    if division and not divisions.is_valid_division(str(division)):
        problems.append(
            Problem(
                "division",
                "unknown_division",
                f"行政区划代码 {division} 不在 GB/T 2260 中。",
                f"{division} is not a GB/T 2260 division code.",
            )
        )
    site = data.get("site_url") or ""
    if site and not str(site).startswith(("http://", "https://")):
        problems.append(
            Problem(
                "site_url",
                "invalid_url",
                "网站地址应以 http:// 或 https:// 开头。",
                "The site address must start with http:// or https://.",
            )
        )
    rows = data.get("departments")
    if not isinstance(rows, list) or not rows:
        problems.append(
            Problem(
                "departments", "required", "请列出各部门的发证机关。", "List the departments with their authorities."
            )
        )
        rows = []
    codes = set()
    for i, row in enumerate(rows):
        where = f"departments[{i}]."
        if not isinstance(row, dict):
            problems.append(
                Problem(f"departments[{i}]", "dict_type", "每个部门应为 JSON 对象。", "Each department is an object.")
            )
            continue
        code = _required(row, "code", where, problems)
        if code in codes:
            problems.append(
                Problem(f"{where}code", "duplicate", f"部门代码 {code} 重复。", f"Department {code} appears twice.")
            )
        codes.add(code)
        _required(row, "authority_name_zh", where, problems)
        _required(row, "authority_name_en", where, problems)
        uscc = _required(row, "authority_uscc", where, problems)
        if uscc:
            problems.extend(identifiers.validate_uscc(uscc, f"{where}authority_uscc").problems)
    for key in ("issuer_department", "registration_department"):
        if data.get(key) and rows and data[key] not in codes:
            problems.append(
                Problem(
                    key,
                    "unknown_department",
                    f"{data[key]} 不在 departments 中。",
                    f"{data[key]} is not among the departments.",
                )
            )
    return problems


@transaction.atomic
def import_profile(data: dict, actor=None) -> ZoneProfile:
    """Store ``data`` as the active zone profile — 导入片区配置 (all or nothing).

    Departments named in the profile get their authority; a department not yet in the catalogue
    is created under the authority's name (the catalogue may rename it later). Departments the
    profile does not name keep no authority (they issue in the zone's name). Importing the same
    file twice changes nothing the second time."""
    problems = profile_problems(data)
    if problems:
        raise BusinessError(*problems)
    before = export_profile() if ZoneProfile.objects.filter(active=True).exists() else None
    ZoneProfile.objects.filter(active=True).exclude(key=data["key"]).update(active=False)
    refcache.invalidate(ZoneProfile)  # update() sends no signal
    values = {k: data.get(k) for k in PROFILE_FIELDS if k != "key"}
    values.update(
        site_url=(values["site_url"] or "").rstrip("/"),
        demo_codes=bool(values["demo_codes"]),
        note=values["note"] or "",
        active=True,
    )
    profile, _ = ZoneProfile.objects.update_or_create(key=data["key"], defaults=values)
    named = set()
    for row in data["departments"]:
        named.add(row["code"])
        dept, created = Department.objects.get_or_create(
            code=row["code"], defaults={"name_zh": row["authority_name_zh"], "name_en": row["authority_name_en"]}
        )
        dept.authority_name_zh = row["authority_name_zh"].strip()
        dept.authority_name_en = row["authority_name_en"].strip()
        dept.authority_uscc = identifiers.normalise(row["authority_uscc"])
        dept.save(update_fields=["authority_name_zh", "authority_name_en", "authority_uscc"])
    Department.objects.exclude(code__in=named).exclude(authority_uscc="").update(
        authority_name_zh="", authority_name_en="", authority_uscc=""
    )
    refcache.invalidate(Department)
    after = export_profile(profile)
    if after != before:
        audit.record(actor, "zone.profile_imported", profile, before=before, after=after)
    return profile


def load_packaged(key: str, actor=None) -> ZoneProfile:
    return import_profile(packaged_profile(key), actor)
