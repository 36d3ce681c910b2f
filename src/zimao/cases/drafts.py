"""Saved drafts (暂存): an application in progress, kept on the server per applicant and service
so it survives logging out and can be resumed on any device.

Sections are stored as the form engine cleaned them — identity and phone numbers encrypted with
their mask beside them (``catalog.forms.protect``) — and materials as the uploads they name. The
uploads a draft holds are spared by the unattached-upload sweep while it lives. A draft goes when
its application is submitted (``services.submit``), when the applicant deletes it, or after
``settings.DRAFT_RETENTION_DAYS`` without a save (``sweep_expired_drafts``, part of ``zimao sweep``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from zimao.cases.models import Draft, Material
from zimao.catalog import forms as engine
from zimao.catalog import plugins
from zimao.core import audit
from zimao.core.errors import BusinessError, NotFound, Problem


def get_draft(applicant, service) -> Draft | None:
    """The applicant's saved draft for this catalogue service, if any."""
    if not getattr(applicant, "is_authenticated", False):
        return None
    return Draft.objects.filter(applicant=applicant, service=service).first()


def own_draft(applicant, service) -> Draft:
    """The applicant's draft of this service, or 404: nobody reaches another person's draft."""
    draft = get_draft(applicant, service)
    if draft is None:
        raise NotFound(
            Problem("service_code", "no_draft", "您没有保存该事项的草稿", "You have no saved draft of this service")
        )
    return draft


def drafts_of(applicant, limit: int = 100) -> list[Draft]:
    """The applicant's drafts, last saved first (for "my applications")."""
    return list(Draft.objects.filter(applicant=applicant).select_related("service").order_by("-updated_at")[:limit])


def _locked(applicant, service) -> Draft:
    Draft.objects.get_or_create(applicant=applicant, service=service)
    return Draft.objects.select_for_update().get(applicant=applicant, service=service)


def save_section(applicant, service, key: str, values: dict) -> Draft:
    """Keep one section as the form engine cleaned it (personal data already protected). Two tabs
    saving different sections both keep theirs: the row is locked and read again."""
    with transaction.atomic():
        draft = _locked(applicant, service)
        draft.sections = {**draft.sections, key: values}
        draft.save(update_fields=["sections", "updated_at"])
        return draft


def save_material(applicant, service, key: str, material: Material) -> Draft:
    """Name an upload as the draft's material ``key``; the upload it replaces goes at once (it
    would only hold the applicant's quota)."""
    from zimao.cases.services import discard_unattached_material

    with transaction.atomic():
        draft = _locked(applicant, service)
        replaced = (draft.materials.get(key) or {}).get("id")
        if replaced and replaced != material.pk:
            discard_unattached_material(applicant, replaced)
        Material.objects.filter(pk=material.pk, owner=applicant, case__isnull=True).update(draft=draft)
        draft.materials = {
            **draft.materials,
            key: {"id": material.pk, "name": material.original_name, "size": material.size},
        }
        draft.save(update_fields=["materials", "updated_at"])
        return draft


def import_session_draft(applicant, service, sections: dict, materials: dict) -> Draft | None:
    """A draft kept in the browser session before drafts were saved on the server: kept now,
    unless the server already has one (which wins). Only the applicant's own unsent uploads."""
    if not (sections or materials):
        return None
    with transaction.atomic():
        if Draft.objects.filter(applicant=applicant, service=service).exists():
            return None
        owned = set(
            Material.objects.filter(
                owner=applicant, case__isnull=True, pk__in=[m.get("id") for m in materials.values()]
            ).values_list("pk", flat=True)
        )
        kept = {k: m for k, m in materials.items() if m.get("id") in owned}
        draft = _locked(applicant, service)
        draft.sections, draft.materials = dict(sections), kept
        draft.save(update_fields=["sections", "materials", "updated_at"])
        Material.objects.filter(pk__in=[m["id"] for m in kept.values()]).update(draft=draft)
        return draft


def delete_draft(applicant, service, *, discard_uploads: bool = True) -> bool:
    """The applicant deletes the draft (or it was sent): with ``discard_uploads`` the unsent files
    it held go too (without, they stay ordinary unsent uploads until the unattached-upload sweep).
    Idempotent: False when there was no draft."""
    from zimao.cases.services import discard_unattached_material

    with transaction.atomic():
        draft = Draft.objects.select_for_update().filter(applicant=applicant, service=service).first()
        if draft is None:
            return False
        held = list(draft.uploads.filter(case__isnull=True).values_list("pk", flat=True))
        audit.record(applicant, "draft.deleted", draft, after={"service": service.code})
        draft.delete()
        if discard_uploads:
            for pk in held:
                discard_unattached_material(applicant, pk)
        return True


def section_values(section: dict, cleaned: dict) -> dict:
    """What a draft keeps for a section: the cleaned values (identity and phone numbers
    encrypted with their mask beside them), and an explicit empty answer where the applicant left
    a field blank, so a catalogue default never silently replaces "nothing"."""
    return {
        f["key"]: cleaned.get(f["key"], [] if f.get("type") in ("multichoice", "table") else "")
        for f in section.get("fields", [])
    }


def section_problems(service, data: dict, keys, applicant=None) -> list[Problem]:
    """The service's own checks (e.g. "the company name is taken") on ``data`` (the draft's
    sections), reporting only what concerns the sections ``keys``: the applicant hears it when
    saving that section, not at the end. Run as at submission (``plugins.run_check``)."""
    if not service.checks:
        return []
    found = []
    for name in service.checks:
        if name not in plugins.checks:
            continue
        try:
            found += plugins.run_check(name, data, applicant=applicant, service=service)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a check written for the whole application: it runs again at submission
    prefixes = tuple(f"{key}." for key in keys)
    return [p for p in found if p.field.startswith(prefixes)]


def _kept_personal_data(form_sections: dict, data: dict, saved: dict) -> dict:
    """An identity or phone number sent as it was shown (its mask), blank or left out keeps the
    saved one, as on the portal's section page: it is never shown again, so the applicant
    re-enters it only to change it."""
    out = {}
    for key, values in data.items():
        section = form_sections.get(key)
        if section is None or not isinstance(values, dict):
            out[key] = values
            continue
        values = dict(values)
        for field in section.get("fields", []):
            before = (saved.get(key) or {}).get(field["key"])
            if field.get("type") not in engine.PROTECTED_TYPES or not isinstance(before, dict):
                continue
            if values.get(field["key"]) in (None, "", before.get("masked")):
                try:
                    values[field["key"]] = engine.reveal(before)
                except ValueError:  # the field key was rotated meanwhile: asked for again
                    values[field["key"]] = ""
        out[key] = values
    return out


def replace_draft(applicant, service, data: dict, materials: dict[str, int]) -> tuple[Draft, bool]:
    """The whole draft at once (the API's save): ``data`` the sections filled so far, each
    validated whole as the portal's section page validates it (and by the service's checks),
    ``materials`` the unsent uploads by material key. Replaces what was saved; an upload the
    draft held and no longer names is discarded, as when the portal replaces a file. The same
    request twice leaves one draft as the first left it. ``(draft, created)``; 422 naming every
    wrong field."""
    from zimao.cases.services import discard_unattached_material, reused_materials, unknown_material_kind

    form_sections = {s["key"]: s for s in service.form.get("sections", [])}
    with transaction.atomic():
        row, created = Draft.objects.get_or_create(applicant=applicant, service=service)
        draft = Draft.objects.select_for_update().get(pk=row.pk)
        draft.service = service  # the caller's instance: not read again
        data = _kept_personal_data(form_sections, data, draft.sections)
        sent = {"sections": [form_sections[k] for k in data if k in form_sections]}
        cleaned, problems = engine.validate(sent, data, partial=False)
        if not problems:
            problems = section_problems(service, cleaned, list(data), applicant=applicant)
        known_kinds = {m["key"] for m in service.materials}
        usable = {
            m.pk: m
            for m in Material.objects.filter(
                Q(draft__isnull=True) | Q(draft=draft),
                pk__in=list(materials.values()),
                owner=applicant,
                case__isnull=True,
            )
        }
        for key, pk in materials.items():
            if key not in known_kinds:
                problems.append(unknown_material_kind(key))
            elif pk not in usable:
                problems.append(
                    Problem(
                        f"materials.{key}",
                        "unknown_material",
                        "找不到这份上传的材料（或它属于另一份草稿），请重新上传",
                        "This uploaded file was not found (or belongs to another draft); upload it again",
                    )
                )
        problems += reused_materials(materials)
        if problems:
            raise BusinessError(*problems, status=422)
        held = set(draft.uploads.filter(case__isnull=True).values_list("pk", flat=True))
        draft.sections = {key: section_values(form_sections[key], cleaned.get(key, {})) for key in data}
        draft.materials = {
            key: {"id": pk, "name": usable[pk].original_name, "size": usable[pk].size} for key, pk in materials.items()
        }
        draft.save(update_fields=["sections", "materials", "updated_at"])
        Material.objects.filter(pk__in=list(usable)).update(draft=draft)
        for pk in held - set(usable):
            discard_unattached_material(applicant, pk)
        return draft, created


def outstanding(draft: Draft) -> tuple[list[str], list[str]]:
    """``(sections not yet saved, required materials not yet uploaded)``, in the form's order."""
    service = draft.service
    sections = [s["key"] for s in service.form.get("sections", []) if s["key"] not in draft.sections]
    needed = [m["key"] for m in service.materials if m.get("required") and m["key"] not in draft.materials]
    return sections, needed


def shown_sections(draft: Draft) -> dict:
    """The sections as a person may see them: identity and phone numbers by their mask only."""
    return {
        key: {k: v["masked"] if isinstance(v, dict) and "masked" in v else v for k, v in values.items()}
        for key, values in draft.sections.items()
    }


def expires_at(draft: Draft):
    """When the sweep deletes the draft unless it is saved again."""
    return draft.updated_at + timedelta(days=settings.DRAFT_RETENTION_DAYS)


def discard_on_submit(applicant, service) -> None:
    """The application was submitted: its draft is no longer needed (same transaction). Two plain
    statements — the uploads it held let go of it (``on_delete=SET_NULL``), then the draft goes:
    this runs inside every submission's write lock, where the ORM's delete (a SELECT, then its
    collector) costs more than both, and there is usually no draft at all."""
    qn = connection.ops.quote_name
    drafts, materials = qn(Draft._meta.db_table), qn(Material._meta.db_table)
    held_by = qn(Material._meta.get_field("draft").column)
    mine = f"{qn('applicant_id')} = %s AND {qn('service_id')} = %s"
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {materials} SET {held_by} = NULL WHERE {held_by} IN (SELECT {qn('id')} FROM {drafts} WHERE {mine})",  # noqa: S608 (the models' own names)
            [applicant.pk, service.pk],
        )
        cur.execute(f"DELETE FROM {drafts} WHERE {mine}", [applicant.pk, service.pk])  # noqa: S608


def sweep_expired_drafts(now=None, limit: int = 1000) -> int:
    """Delete drafts not saved for ``settings.DRAFT_RETENTION_DAYS`` and the unsent uploads they
    held (rows and files), audited: part of ``zimao sweep``. A draft saved meanwhile is kept."""
    from zimao.cases.services import delete_material_file

    cutoff = (now or timezone.now()) - timedelta(days=settings.DRAFT_RETENTION_DAYS)
    removed = 0
    for pk in list(Draft.objects.filter(updated_at__lt=cutoff).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            draft = (
                Draft.objects.select_for_update(of=("self",))
                .select_related("service")
                .filter(pk=pk, updated_at__lt=cutoff)
                .first()
            )
            if draft is None:
                continue
            audit.record(
                "system:sweep",
                "draft.expired",
                draft,
                after={"service": draft.service.code, "saved": draft.updated_at},
            )
            for material in draft.uploads.select_for_update().filter(case__isnull=True):
                delete_material_file(material, "system:sweep", "material.expired")
            draft.delete()
            removed += 1
    return removed
