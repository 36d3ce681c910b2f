"""What other apps may ask of the catalogue."""

from __future__ import annotations

from django.db import transaction

from zimao.catalog import process
from zimao.catalog.models import Activity, Department, Officer, ProcessDefinition, ServiceItem
from zimao.core import audit
from zimao.core.errors import BusinessError, Problem, not_found


def get_service(code: str, *, published_only: bool = True) -> ServiceItem:
    qs = ServiceItem.objects.select_related("department")
    if published_only:
        qs = qs.filter(published=True)
    service = qs.filter(code=code).first()
    if service is None:
        raise BusinessError(
            Problem("service", "unknown_service", f"没有编号为 {code} 的服务事项", f"There is no service item {code}"),
            status=404,
        )
    return service


def published_services():
    return ServiceItem.objects.filter(published=True).select_related("department").order_by("code")


def current_process(service: ServiceItem) -> ProcessDefinition:
    proc = service.processes.filter(published=True).order_by("-version").first()
    if proc is None:
        raise BusinessError.of(
            "service", "no_process", "该事项尚未配置办理流程", "This service has no published process yet", status=409
        )
    return proc


def department_codes() -> set[str]:
    return set(Department.objects.values_list("code", flat=True))


@transaction.atomic
def publish_process(service: ServiceItem, definition: dict, actor=None) -> ProcessDefinition:
    """Add a new version; running cases keep theirs. An identical definition is not re-published."""
    problems = process.validate_definition(definition, department_codes())
    if problems:
        raise BusinessError(*problems)
    latest = service.processes.order_by("-version").first()
    if latest and latest.definition == definition:
        return latest
    version = (latest.version + 1) if latest else 1
    proc = ProcessDefinition.objects.create(service=service, version=version, definition=definition)
    audit.record(actor, "process.published", proc, after={"service": service.code, "version": version})
    return proc


def officer_of(user) -> Officer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.officer
    except Officer.DoesNotExist:
        return None


def department(code: str) -> Department:
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        raise not_found("department")
    return dept


def window_department() -> Department | None:
    return Department.objects.filter(is_window=True).order_by("code").first()


# What a catalogue row may set on a service item (the rest of a row is the process and the code).
SERVICE_FIELDS = (
    "name_zh",
    "name_en",
    "legal_basis",
    "legal_limit_days",
    "promised_limit_days",
    "materials",
    "form",
    "checks",
    "guide_zh",
    "guide_en",
    "reform_mode",
    "rectification_days",
    "published",
    "conditions_zh",
    "conditions_en",
    "validity_months",
    "activities",
    "permit",
    "bundle",
)


def bundle_members(service: ServiceItem) -> list[ServiceItem]:
    """The member items of a themed bundle (一件事一次办) in their order; ``[service]`` for a plain item."""
    codes = [m["code"] if isinstance(m, dict) else m for m in (service.bundle or {}).get("members", [])]
    if not codes:
        return [service]
    found = {s.code: s for s in ServiceItem.objects.filter(code__in=codes).select_related("department")}
    return [found[c] for c in codes if c in found]


def bundles_with(code: str) -> list[ServiceItem]:
    """Published bundles that hold the item ``code`` (the catalogue is small: filtered here); a
    bundle's existing-company variant is offered on the bundle's own page, not listed again."""
    return [
        s
        for s in published_services()
        if s.is_bundle
        and not is_bundle_variant(s)
        and code in [m["code"] if isinstance(m, dict) else m for m in s.bundle.get("members", [])]
    ]


def is_bundle_variant(service: ServiceItem) -> bool:
    """A bundle's way in for an existing company (``variant_of`` the bundle)."""
    return bool((service.bundle or {}).get("variant_of"))


def bundle_for_existing_company(service: ServiceItem) -> ServiceItem | None:
    """The published existing-company variant of a bundle (一件事 for a company that exists)."""
    code = ((service.bundle or {}).get("existing_company") or {}).get("code")
    if not code:
        return None
    return ServiceItem.objects.filter(code=code, published=True).first()


def activities():
    return Activity.objects.all()


@transaction.atomic
def load_catalogue(data: dict, actor=None) -> dict:
    """Load departments, business-scope activities, services and themed bundles from catalogue
    data (e.g. ``data/establishment.json``, ``data/permits.json``).

    Idempotent: loading the same data twice changes nothing; a changed process becomes a new
    version while running cases keep theirs.
    """
    counts = {"departments": 0, "services": 0, "process_versions": 0}
    for row in data.get("departments", []):
        _, created = Department.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "is_window": row.get("is_window", False),
                "level": row.get("level", Department.Level.MUNICIPAL),
            },
        )
        counts["departments"] += created
    for position, row in enumerate(data.get("activities", [])):
        _, created = Activity.objects.update_or_create(
            key=row["key"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "industry_code": row.get("industry_code", ""),
                "position": row.get("position", position),
            },
        )
        counts["activities"] = counts.get("activities", 0) + created
    for row in data.get("services", []):
        fields = {k: row[k] for k in SERVICE_FIELDS if k in row}
        fields["department"] = Department.objects.get(code=row["department"])
        service, created = ServiceItem.objects.update_or_create(code=row["code"], defaults=fields)
        counts["services"] += created
        if "process" in row:
            before = service.processes.count()
            publish_process(service, row["process"], actor)
            counts["process_versions"] += service.processes.count() - before
    # Themed bundles last: their form and process are built from the members loaded above.
    for row in data.get("bundles", []):
        from zimao.catalog import bundles

        service, created, versions = bundles.load_bundle(row, actor)
        counts["bundles"] = counts.get("bundles", 0) + created
        counts["process_versions"] += versions
    if any(counts.values()):
        audit.record(actor, "catalogue.loaded", object_type="catalog.catalogue", object_id="-", after=counts)
    return counts


def load_packaged(name: str, actor=None) -> dict:
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / f"{name}.json"
    return load_catalogue(json.loads(path.read_text(encoding="utf-8")), actor)
