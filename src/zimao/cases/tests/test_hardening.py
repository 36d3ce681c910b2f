"""Issue 12 (hardening) in the case engine: a case that cannot advance surfaces to an officer;
extensions within the catalogue's rule; one file per material; sane dates; uploads sealed at
rest, owner-only, within a quota, swept when never used; officers read only the materials of
their cases, through unguessable addresses."""

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from zimao.cases import services
from zimao.cases.models import Case, Material, Notification
from zimao.core import audit, protected
from zimao.core.apiauth import issue_token
from zimao.core.errors import BusinessError, Conflict
from zimao.core.models import AuditEvent
from zimao.core.storage import reseal, tighten_data_dir
from zimao.testing import PDF, application, submit, upload_materials

pytestmark = pytest.mark.django_db


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# ---------------------------------------------------------------- a case that cannot advance


def test_a_case_the_engine_cannot_advance_is_marked_stuck_shown_to_its_department_and_not_retried(zone, monkeypatch):
    from zimao.cases import tasks

    case = submit(zone.applicant, registration={"articles": "custom"}).case
    Case.objects.filter(pk=case.pk).update(status="submitted", stage_index=0)
    calls = []

    def broken(case, stage, actor):
        calls.append(case.pk)
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(services, "_run_stage", broken)
    with pytest.raises(UnicodeEncodeError):
        tasks.advance_case.func(case.pk)
    case.refresh_from_db()
    assert case.stuck_at is not None and "UnicodeEncodeError" in case.stuck_reason and "\\ud800" in case.stuck_reason
    assert AuditEvent.objects.filter(action="case.stuck", object_id=str(case.pk)).count() == 1
    note = Notification.objects.get(
        case=case, department__code=case.service.department.code, message_en__contains="cannot advance"
    )
    assert "无法继续办理" in note.message_zh
    # the department that runs the service sees it on its workbench; another department does not
    client = Client()
    client.force_login(zone.reviewer)
    page = client.get("/workbench/").content.decode()
    assert 'id="stuck-cases"' in page and case.number in page
    client.force_login(zone.reviewer_tax)
    assert case.number not in client.get("/workbench/").content.decode()
    # the sweep no longer retries it blindly, however stale it is
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    calls.clear()
    services.sweep()
    assert calls == []
    # marking twice records it once
    services.mark_stuck(case.pk, RuntimeError("again"))
    assert AuditEvent.objects.filter(action="case.stuck", object_id=str(case.pk)).count() == 1
    # an administrator retries once the cause is fixed: it advances again
    monkeypatch.undo()
    with pytest.raises(BusinessError):
        services.retry_stuck(case.number, zone.reviewer)
    services.retry_stuck(case.number, zone.admin)
    case.refresh_from_db()
    assert case.stuck_at is None and case.status == "in_review"
    assert audit.verify().ok


def test_a_transient_database_failure_is_not_marked_stuck(zone):
    from django.db import OperationalError

    case = submit(zone.applicant, registration={"articles": "custom"}).case
    services.mark_stuck(case.pk, OperationalError("deadlock detected"))
    case.refresh_from_db()
    assert case.stuck_at is None


def test_the_sweep_marks_a_case_it_cannot_restart(zone, monkeypatch):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    Case.objects.filter(pk=case.pk).update(
        status="submitted", stage_index=0, updated_at=timezone.now() - timedelta(hours=1)
    )
    case.tasks.all().delete()

    def broken(case_id, actor=None):
        raise ValueError("broken data")

    monkeypatch.setattr(services, "advance", broken)
    services.sweep()
    case.refresh_from_db()
    assert case.stuck_at is not None and case.stuck_reason == "ValueError: broken data"


# ---------------------------------------------------------------- extensions


def test_extensions_are_capped_by_the_catalogue_rule_with_the_reason_recorded(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    legal = case.service.legal_limit_days
    with pytest.raises(BusinessError) as err:  # more than the statutory limit at once
        services.extend(case.number, zone.admin, legal + 1, "现场核查")
    assert err.value.status == 422 and err.value.problems[0].field == "days"
    assert "法定时限" in err.value.problems[0].zh and "statutory" in err.value.problems[0].en
    services.extend(case.number, zone.admin, legal, "需要现场核查")
    with pytest.raises(Conflict) as err:  # one extension only (行政许可法 §42)
        services.extend(case.number, zone.admin, 1, "再次延期")
    assert err.value.problems[0].code == "extension_limit" and "最多只能延期 1 次" in err.value.problems[0].zh
    case.refresh_from_db()
    assert case.extensions == 1 and case.extension_days == legal
    event = AuditEvent.objects.filter(action="case.extended", object_id=str(case.pk)).get()
    assert event.after["reason"] == "需要现场核查"
    # The applicant is told in the notification centre (zimao.notify subscribes to case.message).
    from zimao.notify.services import notifications_for_case

    [told] = notifications_for_case(zone.applicant, case.number)
    assert told.kind == "message" and "需要现场核查" in told.line_zh and "extended" in told.line_en


def test_ten_extensions_over_the_api_cannot_move_the_due_date_past_the_rule(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    before = case.legal_due_date
    client = api(zone.admin)
    answers = [
        client.post(
            f"/api/v1/cases/{case.number}/extension", {"days": 30, "reason": "疫情"}, content_type="application/json"
        ).status_code
        for _ in range(10)
    ]
    assert set(answers) == {422}
    answers = [
        client.post(
            f"/api/v1/cases/{case.number}/extension", {"days": 2, "reason": "疫情"}, content_type="application/json"
        ).status_code
        for _ in range(10)
    ]
    assert answers == [200] + [409] * 9
    case.refresh_from_db()
    assert case.extension_days == 2 and case.legal_due_date - before < timedelta(days=10)


def test_a_process_may_state_its_own_extension_rule(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    case.process.definition = {**case.process.definition, "extension": {"max_count": 2, "max_days": 4}}
    case.process.save()
    services.extend(case.number, zone.admin, 2, "一")
    services.extend(case.number, zone.admin, 2, "二")
    with pytest.raises(Conflict):
        services.extend(case.number, zone.admin, 1, "三")


# ---------------------------------------------------------------- one file per material, dates


def test_one_uploaded_file_cannot_stand_for_two_materials(zone):
    mats = upload_materials(zone.applicant)
    mats["id_copy"] = mats["articles"]
    with pytest.raises(BusinessError) as err:
        services.submit(zone.applicant, "QYKB-001", application(), materials=mats)
    [problem] = [p for p in err.value.problems if p.code == "material_reused"]
    assert problem.field == "materials.id_copy" and "articles" in problem.en and "同一份" in problem.zh
    response = api(zone.applicant).post(
        "/api/v1/cases",
        {"service": "QYKB-001", "data": application(), "materials": mats},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert any(e["code"] == "material_reused" for e in response.json()["errors"])


@pytest.mark.parametrize(
    "value, reason",
    [
        ("0001-01-01", "must not be before"),
        ("1899-12-31", "must not be before"),
        ("9999-12-31", "must not be after"),
        ("yesterday", "must not be before"),
    ],
)
def test_dates_out_of_range_and_past_appointments_are_refused_naming_the_field(zone, value, reason):
    if value == "yesterday":
        value = (timezone.localdate() - timedelta(days=1)).isoformat()
    with pytest.raises(BusinessError) as err:
        services.submit(
            zone.applicant,
            "QYKB-001",
            application(bank={"appointment_date": value}),
            materials=upload_materials(zone.applicant),
        )
    [problem] = err.value.problems
    assert problem.field == "bank.appointment_date" and reason in problem.en and "预约日期" in problem.zh


def test_api_dates_are_iso_text_within_range(zone):
    client = api(zone.reviewer)
    for bad in ("0", "0001-01-01", "1700000000", "2026-13-01"):
        response = client.get("/api/v1/tasks", {"after_due": bad, "after_id": 1})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == "after_due"
    assert client.get("/api/v1/tasks", {"after_due": "2026-01-02", "after_id": 1}).status_code == 200
    public = Client()
    for bad in ("0", "0001-01-01"):
        response = public.get("/api/v1/monitor/public/indicators", {"until": bad})
        assert response.status_code == 422, (bad, response.content)
        error = response.json()["errors"][0]
        assert error["field"] == "until" and error["message_zh"] and error["message_en"]


# ---------------------------------------------------------------- uploads at rest


def _files(root: Path):
    return [p for p in Path(root).rglob("*") if p.is_file()]


def test_uploads_are_sealed_owner_only_and_read_back_transparently(zone, media):
    secret = PDF.replace(b"/Catalog", b"/Catalog /Secret (ID-COPY-4f1a)")
    material = services.upload_material(zone.applicant, "id_copy", "id.pdf", secret)
    [path] = _files(media)
    raw = path.read_bytes()
    assert raw.startswith(protected.SEALED_MAGIC) and b"ID-COPY-4f1a" not in raw and b"%PDF" not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in [p for p in Path(media).rglob("*") if p.is_dir()] + [Path(media)]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    with material.file.open("rb") as f:
        assert f.read() == secret
    client = Client()
    client.force_login(zone.applicant)
    response = client.get(f"/materials/{material.token}/")
    assert b"".join(response.streaming_content) == secret
    # a sealed file altered on disk fails loudly, never reads as garbage
    path.write_bytes(raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:])
    with pytest.raises(protected.SealError):
        material.file.open("rb").read()


def test_clear_files_of_an_older_installation_stay_readable_and_reseal_seals_them(zone, media, settings):
    material = services.upload_material(zone.applicant, "articles", "a.pdf", PDF)
    [path] = _files(media)
    path.write_bytes(PDF)  # as written before sealing existed
    os.chmod(path, 0o644)
    with material.file.open("rb") as f:
        assert f.read() == PDF  # transparent fallback
    assert reseal(media) == {"sealed": 1, "resealed": 0, "unchanged": 0}
    assert path.read_bytes().startswith(protected.SEALED_MAGIC) and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert reseal(media) == {"sealed": 0, "resealed": 0, "unchanged": 1}  # idempotent
    # key rotation: the old key moves to ZIMAO_FIELD_KEY_OLD; old files stay readable; reseal moves them on
    old_key = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY, settings.FIELD_ENCRYPTION_OLD_KEYS = "a-new-field-key-after-rotation", [old_key]
    with material.file.open("rb") as f:
        assert f.read() == PDF
    assert reseal(media) == {"sealed": 0, "resealed": 1, "unchanged": 0}
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    with material.file.open("rb") as f:
        assert f.read() == PDF  # now under the new key alone
    settings.FIELD_ENCRYPTION_KEY = "a-key-nobody-configured"
    with pytest.raises(protected.SealError):
        material.file.open("rb").read()


def test_protected_fields_keep_decrypting_after_a_key_rotation(settings):
    token = protected.encrypt_text("11010519491231002X")
    old_key = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY, settings.FIELD_ENCRYPTION_OLD_KEYS = "rotated-key", [old_key]
    assert protected.decrypt_text(token) == "11010519491231002X"
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    with pytest.raises(ValueError):
        protected.decrypt_text(token)


def test_a_world_readable_database_and_folders_are_made_owner_only(settings, tmp_path):
    db = tmp_path / "zimao.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").write_bytes(b"x")
        os.chmod(f"{db}{suffix}", 0o644)
    os.chmod(tmp_path, 0o755)
    settings.DATA_DIR, settings.MEDIA_ROOT = tmp_path, tmp_path / "media"
    changed = tighten_data_dir(sqlite_path=db)
    assert str(db) in changed and f"{db}-wal" in changed
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{db}{suffix}").stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700


def test_new_files_are_owner_only_from_creation():
    """settings set the umask: the SQLite database, its WAL, backups and keys are never world-readable."""
    current = os.umask(0o077)
    os.umask(current)
    assert current == 0o077


# ---------------------------------------------------------------- unattached uploads


def test_unattached_uploads_are_limited_per_user_in_both_languages(zone, media, settings):
    settings.UNATTACHED_UPLOAD_QUOTA_BYTES = len(PDF) * 3
    for _ in range(3):
        services.upload_material(zone.applicant, "articles", "a.pdf", PDF)
    client = api(zone.applicant)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/v1/materials", {"key": "articles", "file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["field"] == "materials.articles" and error["code"] == "upload_quota"
    assert "MB" in error["message_zh"] and "not yet part of an application" in error["message_en"]
    assert Material.objects.filter(owner=zone.applicant).count() == 3 and len(_files(media)) == 3
    # another user has their own quota; attaching files to a case frees the owner's
    services.upload_material(zone.applicant2, "articles", "a.pdf", PDF)
    mats = dict(
        zip(
            ("articles", "id_copy", "premises"),
            Material.objects.filter(owner=zone.applicant).values_list("pk", flat=True),
            strict=False,
        )
    )
    Material.objects.filter(pk__in=mats.values()).update(key="x")
    services.submit(zone.applicant, "QYKB-001", application(), materials=mats)
    assert (
        client.post("/api/v1/materials", {"key": "articles", "file": SimpleUploadedFile("a.pdf", PDF)}).status_code
        == 201
    )


def test_a_file_replaced_in_the_portal_draft_is_discarded_at_once(zone, media, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(zone.applicant)
    for _ in range(2):
        response = client.post("/apply/QYKB-001/materials/", {"file-articles": SimpleUploadedFile("a.pdf", PDF)})
        assert response.status_code in (200, 302, 422)
    with django_capture_on_commit():
        client.post("/apply/QYKB-001/materials/", {"file-articles": SimpleUploadedFile("a.pdf", PDF)})
    assert Material.objects.filter(owner=zone.applicant, case__isnull=True, key="articles").count() == 1
    assert AuditEvent.objects.filter(action="material.discarded").count() == 2


def test_the_sweep_deletes_unattached_uploads_after_the_retention_period(zone, media, settings):
    settings.UNATTACHED_UPLOAD_RETENTION_HOURS = 24
    case = submit(zone.applicant).case
    old = services.upload_material(zone.applicant, "articles", "old.pdf", PDF)
    fresh = services.upload_material(zone.applicant, "articles", "fresh.pdf", PDF)
    Material.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - timedelta(hours=25))
    Material.objects.filter(case=case).update(uploaded_at=timezone.now() - timedelta(days=30))
    old_path = Path(old.file.path)
    assert old_path.exists()
    with django_capture_on_commit():
        counts = services.sweep()
    assert counts["unattached_materials_deleted"] == 1
    assert not Material.objects.filter(pk=old.pk).exists() and not old_path.exists()
    assert Material.objects.filter(pk=fresh.pk).exists() and case.materials.count() == 3
    assert AuditEvent.objects.filter(action="material.expired").count() == 1


def django_capture_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


# ---------------------------------------------------------------- who reads materials


def test_the_window_clerk_reads_only_materials_of_cases_at_the_window(zone):
    in_review = submit(zone.applicant, "青松", registration={"articles": "custom"}).case
    at_window = services.submit(
        zone.applicant,
        "QYKB-001",
        application("红枫"),
        materials=upload_materials(zone.applicant),
        delivery_method="window",
    ).case
    at_window.refresh_from_db()
    assert at_window.status == "issued"
    intake = submit(zone.applicant, "白桦", materials={}).case
    assert intake.tasks.filter(kind="intake").exists()
    loose = services.upload_material(zone.applicant, "articles", "late.pdf", PDF)
    Material.objects.filter(pk=loose.pk).update(case=intake)
    client = Client()
    client.force_login(zone.clerk)
    for case, expected in ((in_review, 404), (at_window, 200), (intake, 200)):
        for material in case.materials.all():
            assert client.get(f"/materials/{material.token}/").status_code == expected, case.status
    # the reviewer of the case's department, yes; sequential numbers lead nowhere
    client.force_login(zone.reviewer)
    material = in_review.materials.first()
    assert client.get(f"/materials/{material.token}/").status_code == 200
    assert client.get(f"/materials/{material.pk}/").status_code == 404


# ---------------------------------------------------------------- edges of the API


def test_anonymous_api_posts_get_401_not_a_csrf_403(zone):
    anonymous = Client(enforce_csrf_checks=True)
    for path in ("/api/v1/cases", "/api/v1/materials", "/api/v1/permits/commitments"):
        response = anonymous.post(path, {}, content_type="application/json")
        assert response.status_code == 401, path
        assert response.json()["errors"][0]["code"] == "unauthenticated"
    # a session without its CSRF token is still refused
    session = Client(enforce_csrf_checks=True)
    session.force_login(zone.applicant)
    assert session.post("/api/v1/cases", {}, content_type="application/json").status_code == 403


def test_verification_and_personal_answers_are_never_cached(zone):
    case = submit(zone.applicant).case
    identifier = case.outputs[0]["identifier"]
    public = Client()
    for url in (f"/api/v1/licences/verify/{identifier}", f"/verify/{identifier}/"):
        assert "no-store" in public.get(url)["Cache-Control"], url
    assert public.get("/.well-known/jwks.json")["Cache-Control"].startswith("public")  # a deliberate policy stays
    assert "no-store" in api(zone.applicant).get(f"/api/v1/cases/{case.number}")["Cache-Control"]
    signed_in = Client()
    signed_in.force_login(zone.applicant)
    assert "no-store" in signed_in.get(f"/cases/{case.number}/")["Cache-Control"]


def test_an_overlong_uri_gets_a_documented_bilingual_414(zone):
    long_query = {"q": "x" * (django_settings.MAX_REQUEST_TARGET + 1)}
    response = Client().get("/api/v1/permits/items", long_query)
    assert response.status_code == 414
    [error] = response.json()["errors"]
    assert error["code"] == "uri_too_long" and "过长" in error["message_zh"] and "too long" in error["message_en"]
    page = Client().get("/", long_query)
    assert page.status_code == 414 and "过长" in page.content.decode()
    assert "414" in Client().get("/api/v1/openapi.json").json()["info"]["description"]
