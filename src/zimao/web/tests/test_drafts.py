"""Saved drafts (暂存): kept on the server per applicant and service, resumable in another
session, listed under "my applications", deleted on submission, by the applicant, or after the
retention period — with identity numbers still encrypted in the stored row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from zimao.cases import drafts, services
from zimao.cases.models import Draft, Material
from zimao.catalog import services as catalog
from zimao.testing import ESTABLISHMENT, PDF
from zimao.web.tests.test_pages import ID_MASK, ID_NUMBER, fill_sections, send, text, upload_all

pytestmark = pytest.mark.django_db


def part_filled(user) -> Client:
    """One browser session: every section and the materials, then it is gone (logged out)."""
    client = Client()
    client.force_login(user)
    fill_sections(client)
    upload_all(client)
    client.post(reverse("web:logout"))
    return client


def test_a_draft_is_resumed_in_another_session_from_my_applications(zone):
    part_filled(zone.applicant)
    other = Client()  # another device: nothing in its session
    other.force_login(zone.applicant)
    listing = text(other.get("/cases/"))
    assert 'id="my-drafts"' in listing and f'data-draft="{ESTABLISHMENT}"' in listing
    assert f'href="/apply/{ESTABLISHMENT}/"' in listing and f'id="delete-draft-{ESTABLISHMENT}"' in listing
    saved = Draft.objects.get(applicant=zone.applicant)
    assert timezone.localtime(saved.updated_at).strftime("%Y-%m-%d %H:%M") in listing
    tasks = text(other.get(f"/apply/{ESTABLISHMENT}/"))
    assert 'id="status-registration"' in tasks and 'id="draft-saved-at"' in tasks
    assert 'class="tag ok" id="status-registration"' in tasks and 'class="tag ok" id="status-materials"' in tasks
    page = text(other.get(f"/apply/{ESTABLISHMENT}/registration/"))
    assert ID_MASK in page and ID_NUMBER not in page
    # Someone else sees none of it.
    stranger = Client()
    stranger.force_login(zone.applicant2)
    assert 'id="my-drafts"' not in text(stranger.get("/cases/"))
    assert 'class="tag ok" id="status-registration"' not in text(stranger.get(f"/apply/{ESTABLISHMENT}/"))


def test_identity_and_phone_numbers_are_encrypted_in_the_stored_row(zone):
    part_filled(zone.applicant)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sections FROM cases_draft")
        (raw,) = cursor.fetchone()
    raw = raw if isinstance(raw, str) else str(raw)
    assert ID_NUMBER not in raw and "13812345678" not in raw
    assert ID_MASK in raw and "138****5678" in raw


def test_submitting_deletes_the_draft_and_keeps_its_materials_on_the_case(zone):
    client = Client()
    client.force_login(zone.applicant)
    fill_sections(client)
    upload_all(client)
    held = set(Material.objects.filter(owner=zone.applicant, draft__isnull=False).values_list("pk", flat=True))
    assert len(held) == 3
    response = send(client)
    assert response.status_code == 302
    assert not Draft.objects.filter(applicant=zone.applicant).exists()
    number = response["Location"].split("/")[2]
    assert set(Material.objects.filter(case__number=number).values_list("pk", flat=True)) == held
    assert 'id="my-drafts"' not in text(client.get("/cases/"))


def test_the_engine_deletes_the_draft_whoever_submits(zone):
    """An application sent through the API deletes the portal's draft of that service too."""
    from zimao.testing import submit

    service = catalog.get_service(ESTABLISHMENT)
    drafts.save_section(zone.applicant, service, "name", {"trade_name": "远山"})
    submit(zone.applicant, trade_name="远山")
    assert drafts.get_draft(zone.applicant, service) is None


def test_the_applicant_deletes_a_draft_with_its_unsent_files(zone):
    client = Client()
    client.force_login(zone.applicant)
    fill_sections(client)
    upload_all(client)
    # Another applicant's delete touches only their own (absent) draft.
    stranger = Client()
    stranger.force_login(zone.applicant2)
    assert stranger.post(reverse("web:apply_draft_delete", args=[ESTABLISHMENT])).status_code == 302
    assert Draft.objects.filter(applicant=zone.applicant).exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("web:apply_draft_delete", args=[ESTABLISHMENT]))
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert not Draft.objects.filter(applicant=zone.applicant).exists()
    assert not Material.objects.filter(owner=zone.applicant).exists()
    assert client.get(reverse("web:apply_draft_delete", args=[ESTABLISHMENT])).status_code == 405


def test_drafts_are_swept_after_the_retention_period_with_their_files(zone, settings):
    settings.DRAFT_RETENTION_DAYS = 30
    settings.UNATTACHED_UPLOAD_RETENTION_HOURS = 72
    service = catalog.get_service(ESTABLISHMENT)
    old_file = services.upload_material(zone.applicant, "articles", "a.pdf", PDF)
    drafts.save_material(zone.applicant, service, "articles", old_file)
    fresh_file = services.upload_material(zone.applicant2, "articles", "b.pdf", PDF)
    drafts.save_material(zone.applicant2, service, "articles", fresh_file)
    long_ago = timezone.now() - timedelta(days=31)
    Draft.objects.filter(applicant=zone.applicant).update(updated_at=long_ago)
    Material.objects.update(uploaded_at=long_ago)  # both files are past the unattached limit
    with TestCase.captureOnCommitCallbacks(execute=True):
        counts = services.sweep()
    assert counts["drafts_deleted"] == 1
    # The applicant's stale draft and its file are gone; the live draft keeps its old file.
    assert not Draft.objects.filter(applicant=zone.applicant).exists()
    assert not Material.objects.filter(pk=old_file.pk).exists()
    assert Draft.objects.filter(applicant=zone.applicant2).exists()
    assert Material.objects.filter(pk=fresh_file.pk).exists()
    assert counts["unattached_materials_deleted"] == 0
    # Saving again restarts the period.
    assert drafts.sweep_expired_drafts(now=timezone.now() + timedelta(days=29)) == 0
    assert drafts.sweep_expired_drafts(now=timezone.now() + timedelta(days=31)) == 1


def test_a_draft_left_in_the_session_before_the_upgrade_is_moved_to_the_server(zone):
    client = Client()
    client.force_login(zone.applicant)
    material = services.upload_material(zone.applicant, "articles", "a.pdf", PDF)
    someone_elses = services.upload_material(zone.applicant2, "id_copy", "b.pdf", PDF)
    session = client.session
    session["zimao.drafts"] = {
        ESTABLISHMENT: {
            "sections": {"name": {"trade_name": "旧草稿"}},
            "materials": {
                "articles": {"id": material.pk, "name": "a.pdf", "size": 1},
                "id_copy": {"id": someone_elses.pk, "name": "b.pdf", "size": 1},
            },
        }
    }
    session.save()
    assert client.get(f"/apply/{ESTABLISHMENT}/").status_code == 200
    draft = Draft.objects.get(applicant=zone.applicant)
    assert draft.sections == {"name": {"trade_name": "旧草稿"}}
    assert list(draft.materials) == ["articles"]
    assert ESTABLISHMENT not in client.session.get("zimao.drafts", {})


def test_replacing_a_draft_material_discards_the_old_upload(zone):
    client = Client()
    client.force_login(zone.applicant)
    with TestCase.captureOnCommitCallbacks(execute=True):
        for name in ("first.pdf", "second.pdf"):
            file = SimpleUploadedFile(name, PDF, "application/pdf")
            client.post(reverse("web:apply_materials", args=[ESTABLISHMENT]), {"file-articles": file})
    assert list(Material.objects.filter(owner=zone.applicant).values_list("original_name", flat=True)) == ["second.pdf"]
    assert Draft.objects.get(applicant=zone.applicant).materials["articles"]["name"] == "second.pdf"
