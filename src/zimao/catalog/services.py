"""What other apps may ask of the catalogue."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType

from django.db import transaction

from zimao.catalog import extensions, process
from zimao.catalog.models import Department, Officer, ProcessDefinition, ServiceItem
from zimao.core import audit, refcache
from zimao.core.errors import BusinessError, Problem, not_found

# What each cached value is read from (``core.refcache``: a save of one of them drops the value).
_SERVICE_MODELS = (ServiceItem, Department)
_PROCESS_MODELS = (ProcessDefinition,)
_DEPARTMENT_MODELS = (Department,)


def get_service(code: str, *, published_only: bool = True) -> ServiceItem:
    """The service item ``code`` (with its department). Published items come from the reference
    cache, as a copy: setting a field on it never reaches the shared one."""
    if published_only:
        return copy.copy(refcache.get(("catalog.service", code), lambda: _published_service(code), _SERVICE_MODELS))
    return _found(ServiceItem.objects.select_related("department").filter(code=code).first(), code)


def _published_service(code: str) -> ServiceItem:
    # Raises when there is none: an unknown code is not cached (anyone may ask for any code).
    return _found(ServiceItem.objects.select_related("department").filter(published=True, code=code).first(), code)


def _found(service: ServiceItem | None, code: str) -> ServiceItem:
    if service is None:
        raise BusinessError(
            Problem("service", "unknown_service", f"没有编号为 {code} 的服务事项", f"There is no service item {code}"),
            status=404,
        )
    return service


def published_services():
    return ServiceItem.objects.filter(published=True).select_related("department").order_by("code")


def current_process(service: ServiceItem) -> ProcessDefinition:
    """The latest published process version of ``service`` (reference cache; a copy)."""
    proc = refcache.get(("catalog.process", service.pk), lambda: _latest_process(service), _PROCESS_MODELS)
    if proc is None:
        raise BusinessError.of(
            "service", "no_process", "该事项尚未配置办理流程", "This service has no published process yet", status=409
        )
    return copy.copy(proc)


def _latest_process(service: ServiceItem) -> ProcessDefinition | None:
    return service.processes.filter(published=True).order_by("-version").first()


def department_codes() -> set[str]:
    return set(Department.objects.values_list("code", flat=True))


def departments() -> Mapping[str, Department]:
    """Every department by code (reference cache): shared instances, to be read, never changed."""
    return refcache.get("catalog.departments", _read_departments, _DEPARTMENT_MODELS)


def _read_departments() -> Mapping[str, Department]:
    return MappingProxyType({d.code: d for d in Department.objects.order_by("code")})


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


# What a catalogue row may set on a service item (the rest of a row is the process, the code and
# the attributes apps registered, ``catalog.extensions``).
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
    "rectification_days",
    "published",
)


@transaction.atomic
def load_catalogue(data: dict, actor=None) -> dict:
    """Load departments and services from catalogue data (e.g. ``data/establishment.json``,
    ``data/permits.json``), then the sections apps registered (``catalog.extensions``: e.g. the
    business-scope activities and themed bundles of permits). A row's registered attributes go to
    ``ServiceItem.attributes``, checked by the kind the app gave them.

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
    for row in data.get("services", []):
        own, attributes, problems = extensions.split_row(row)
        if problems:
            raise BusinessError(
                *[Problem(f"services.{row.get('code')}.{p.field}", p.code, p.zh, p.en) for p in problems]
            )
        fields = {k: own[k] for k in SERVICE_FIELDS if k in own}
        fields["department"] = Department.objects.get(code=row["department"])
        service, created = ServiceItem.objects.update_or_create(code=row["code"], defaults=fields)
        if attributes:
            service.attributes = extensions.merged(service.attributes, attributes)
            service.save(update_fields=["attributes"])
        counts["services"] += created
        if "process" in row:
            before = service.processes.count()
            publish_process(service, row["process"], actor)
            counts["process_versions"] += service.processes.count() - before
    # The apps' sections last (a themed bundle is built from the members loaded above).
    for ext in extensions.registered():
        for section, load in ext.sections.items():
            if section in data:
                for key, n in load(data[section], actor).items():
                    counts[key] = counts.get(key, 0) + n
    if any(counts.values()):
        audit.record(actor, "catalogue.loaded", object_type="catalog.catalogue", object_id="-", after=counts)
    return counts


def load_packaged(name: str, actor=None) -> dict:
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / f"{name}.json"
    return load_catalogue(json.loads(path.read_text(encoding="utf-8")), actor)
