"""The officer's pages speak about the applicant, not to them (walkthrough of issue 14): the task
page of a case waiting for corrections said "Case status: 需要您补正材料 / We need you to correct
your application" to the reviewer."""

from __future__ import annotations

import pytest

from zimao.testing import submit
from zimao.web.tests.test_accountability import client_for

pytestmark = pytest.mark.django_db


def test_a_case_waiting_for_corrections_reads_in_the_third_person_on_the_task_page(zone):
    case = submit(zone.applicant, "青松", registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    reviewer = client_for(zone.reviewer)
    reviewer.post(f"/workbench/tasks/{task.pk}/decision/", {"outcome": "correct", "reason": "请补充住所证明"})
    body = reviewer.get(f"/workbench/tasks/{task.pk}/").content.decode()
    assert "等待申请人补正" in body and "需要您补正材料" not in body
    reviewer.cookies["django_language"] = "en"
    body = reviewer.get(f"/workbench/tasks/{task.pk}/").content.decode()
    assert "Waiting for the applicant&#x27;s corrections" in body and "We need you to correct" not in body
    # The applicant's own page still speaks to them.
    applicant = client_for(zone.applicant)
    assert "需要您补正材料" in applicant.get(f"/cases/{case.number}/").content.decode()
