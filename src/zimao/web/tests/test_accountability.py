"""Accountability (issue 14 item 7): the history names the officer who acted, the reviewer reads
the applicant's correction reply, and a material replaced during a correction stays as an earlier
version, shown beside the new one to those who may read the case's materials."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zimao.cases import services
from zimao.cases.models import Material
from zimao.cases.workflow import CaseStatus
from zimao.testing import PDF, submit
from zimao.web.tests.test_pages import text

pytestmark = pytest.mark.django_db

NEW_PDF = PDF.replace(b"/Catalog", b"/Catalog /Lang (zh)")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def history_lines(body: str) -> list[str]:
    block = re.search(r'<ol class="timeline" id="history">(.*?)</ol>', body, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def corrected_case(zone):
    """A case a reviewer sent back for corrections, answered with a reply and a new file."""
    case = submit(zone.applicant, "青松", registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    reviewer = client_for(zone.reviewer)
    response = reviewer.post(
        f"/workbench/tasks/{task.pk}/decision/", {"outcome": "correct", "reason": "章程第五条请补充出资方式"}
    )
    assert response.status_code == 302
    applicant = client_for(zone.applicant)
    new = SimpleUploadedFile("articles-v2.pdf", NEW_PDF, "application/pdf")
    response = applicant.post(
        f"/cases/{case.number}/correction/", {"answer": "已在第五条补充货币出资方式", "file-articles": new}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    return case, task


def test_the_history_names_the_officer_who_approved_not_the_system(zone):
    case = submit(zone.applicant, "青松", registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    reviewer = client_for(zone.reviewer)
    assert reviewer.post(f"/workbench/tasks/{task.pk}/decision/", {"outcome": "approve"}).status_code == 302
    case.refresh_from_db()
    assert case.status in (CaseStatus.ISSUED, CaseStatus.DELIVERED)
    history = services.case_history(case)
    entries = {e["action"]: e for e in history}
    assert entries["case.approved"]["actor"] == "reviewer" and entries["case.approved"]["who"] == "陈静"
    step = next(e for e in history if e["action"] == "task.approved" and e["step"] == task)
    assert step["who"] == "陈静" and not step["system"]
    assert entries["case.submitted"]["who"] == zone.applicant.first_name
    assert entries["case.issued"]["system"]  # the engine's own steps are the system's
    officer_page = history_lines(text(reviewer.get(f"/workbench/tasks/{task.pk}/")))
    approved = [line for line in officer_page if line.endswith("审核通过")]
    assert approved and all("陈静" in line for line in approved)
    assert not any("系统" in line for line in approved)
    applicant_page = history_lines(text(client_for(zone.applicant).get(f"/cases/{case.number}/")))
    assert any("陈静" in line and line.endswith("审核通过") for line in applicant_page)


def test_every_officer_action_in_the_history_is_named(zone):
    case, task = corrected_case(zone)
    services.decide(task.pk, zone.reviewer, "refuse", "出资方式仍不符合规定")
    history = services.case_history(case)
    by_officer = [e for e in history if e["action"] in ("case.correction_requested", "case.refused", "task.refused")]
    assert len(by_officer) == 3 and all(e["who"] == "陈静" and not e["system"] for e in by_officer)
    corrected = next(e for e in history if e["action"] == "case.corrected")
    assert corrected["who"] == zone.applicant.first_name


def test_automatic_approval_is_the_rules_not_a_person(zone):
    case = submit(zone.applicant, "松柏").case  # standard articles: 秒批
    approved = next(e for e in services.case_history(case) if e["action"] == "case.approved")
    assert approved["system"] and approved["actor"] == "system"


def test_the_reviewer_reads_the_applicants_correction_reply(zone):
    case, task = corrected_case(zone)
    body = text(client_for(zone.reviewer).get(f"/workbench/tasks/{task.pk}/"))
    section = re.search(r'<section id="corrections".*?</section>', body, re.S).group(0)
    assert "章程第五条请补充出资方式" in section and "已在第五条补充货币出资方式" in section
    assert "陈静" in section  # who asked
    # The administrator, on another task page of the case, reads it too.
    admin_body = text(client_for(zone.admin).get(f"/workbench/tasks/{task.pk}/"))
    assert "已在第五条补充货币出资方式" in admin_body


def test_a_replaced_material_stays_as_a_superseded_version_shown_beside_the_new(zone):
    case, task = corrected_case(zone)
    old = case.materials.get(key="articles", superseded_by__isnull=False)
    new = case.materials.get(key="articles", superseded_by__isnull=True)
    assert old.superseded_by == new and old.superseded_at is not None and old.sha256 != new.sha256
    assert case.materials.filter(key="articles").count() == 2
    versions = {v["key"]: v for v in services.material_versions(case)}
    assert versions["articles"]["current"] == new and versions["articles"]["earlier"] == [old]
    assert versions["id_copy"]["earlier"] == []
    body = text(client_for(zone.reviewer).get(f"/workbench/tasks/{task.pk}/"))
    table = re.search(r'<table class="table versions" id="versions-articles">.*?</table>', body, re.S).group(0)
    earlier, current = re.findall(r'<td class="version (?:superseded|current)".*?</td>', table, re.S)
    assert 'class="version superseded"' in earlier and old.sha256 in earlier and str(old.token) in earlier
    assert old.uploaded_at.astimezone().strftime("%Y-%m-%d") in earlier
    assert new.sha256 in current and str(new.token) in current
    assert 'id="versions-id_copy"' not in body
    # The current list names the new version once; the rules see each kind once.
    assert services.context(case).materials == ["articles", "id_copy", "premises"]


def test_the_earlier_version_is_readable_only_by_those_who_may_read_the_case_materials(zone):
    case, _task = corrected_case(zone)
    old = Material.objects.get(case=case, key="articles", superseded_by__isnull=False)
    url = f"/materials/{old.token}/"
    for user, status in [
        (zone.applicant, 200),
        (zone.reviewer, 200),
        (zone.admin, 200),
        (zone.applicant2, 404),
        (zone.reviewer_tax, 404),
        (zone.clerk, 404),
    ]:
        assert client_for(user).get(url).status_code == status, user.username
    assert Client().get(url).status_code == 302  # to log in
