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
from django.db import transaction
from django.utils import timezone

from zimao.cases.models import Draft, Material
from zimao.core import audit


def get_draft(applicant, service) -> Draft | None:
    """The applicant's saved draft for this catalogue service, if any."""
    if not getattr(applicant, "is_authenticated", False):
        return None
    return Draft.objects.filter(applicant=applicant, service=service).first()


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
    it held go too. Idempotent: False when there was no draft."""
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


def discard_on_submit(applicant, service) -> None:
    """The application was submitted: its draft is no longer needed (same transaction)."""
    Draft.objects.filter(applicant=applicant, service=service).delete()


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
