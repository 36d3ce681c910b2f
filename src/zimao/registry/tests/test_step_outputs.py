"""企业开办's parallel steps each issue their department's document (办理结果): declared in the
catalogue, issued once by the engine, in the name of the authority the zone profile names."""

import re

import pytest
from django.utils import timezone

from zimao.cases import services as cases
from zimao.cases.models import StepOutput
from zimao.catalog import process
from zimao.catalog import zone as zone_profile
from zimao.catalog.models import ServiceItem
from zimao.testing import ESTABLISHMENT, submit

KINDS = {
    "seal": "seal_filing_record",
    "tax": "tax_registration_confirmation",
    "social_insurance": "social_insurance_registration",
    "housing_fund": "housing_fund_account",
    "bank": "bank_appointment",
}


def _bank_label(code: str) -> str:
    form = ServiceItem.objects.get(code=ESTABLISHMENT).form
    [field] = [f for s in form["sections"] if s["key"] == "bank" for f in s["fields"] if f["key"] == "bank"]
    return next(c[1] for c in field["choices"] if c[0] == code)


@pytest.mark.django_db
def test_each_step_issues_its_document_with_its_issuer_and_number_format(zone):
    case = submit(zone.applicant, bank={"bank": "CCB"}).case
    uscc = case.results["uscc"]
    outputs = {o.task_key: o for o in StepOutput.objects.filter(case=case)}
    assert {k: o.kind for k, o in outputs.items()} == KINDS
    division, year, today = uscc[2:8], timezone.localdate().year, f"{timezone.localdate():%Y%m%d}"
    formats = {
        "seal": rf"{division}\d{{7}}",  # 印章编码: division + 7-digit serial
        "tax": rf"税通〔{year}〕\d+号",
        "social_insurance": rf"{division}\d{{8}}",
        "housing_fund": rf"{division}\d{{9}}",
        "bank": rf"YY{today}\d{{6}}",
    }
    for step, pattern in formats.items():
        assert re.fullmatch(pattern, outputs[step].number), (step, outputs[step].number)
    for step, department in {"seal": "PSB", "tax": "TAX", "social_insurance": "HRSS", "housing_fund": "HPF"}.items():
        authority = zone_profile.authority_for(department)
        assert (outputs[step].issuer_name_zh, outputs[step].issuer_uscc) == (authority.name_zh, authority.uscc)
        assert outputs[step].issuer_department == department
    assert outputs["bank"].issuer_name_zh == _bank_label("CCB")  # the bank the applicant chose
    for o in outputs.values():
        assert (o.holder_uscc, o.holder_name) == (uscc, case.results["entity_name"])
    tax_lines = {line["label_zh"]: line["value_zh"] for line in outputs["tax"].details["fields"]}
    assert tax_lines["纳税人识别号"] == uscc  # 多证合一
    assert tax_lines["发票种类"] == "全面数字化电子发票"
    seal_lines = {line["label_zh"]: line["value_zh"] for line in outputs["seal"].details["fields"]}
    assert seal_lines["刻制印章"].startswith("公章、财务专用章")


@pytest.mark.django_db
def test_only_the_steps_chosen_issue_documents_and_numbers_do_not_repeat(zone):
    one = submit(zone.applicant, "智远", steps={"selected": ["tax"]}).case
    two = submit(zone.applicant, "博远", steps={"selected": ["tax", "seal"]}).case
    assert list(one.step_outputs.values_list("kind", flat=True)) == ["tax_registration_confirmation"]
    numbers = list(StepOutput.objects.filter(kind="tax_registration_confirmation").values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 2
    assert two.step_outputs.count() == 2


@pytest.mark.django_db
def test_a_step_run_again_issues_nothing_new(zone):
    case = submit(zone.applicant).case
    before = list(StepOutput.objects.filter(case=case).values_list("kind", "number"))
    task = case.tasks.get(key="tax")
    stage = process.stage_at(case.process.definition, process.stage_index(case.process.definition, "parallel"))
    spec = cases.spec_for(stage, "tax", case)
    case.__dict__["_pending_outputs"] = [(task, out, "system") for out in spec["outputs"]]
    assert cases._issue_step_outputs(case) == []  # the step's effects and outputs, re-run
    cases.advance(case.pk)  # and the whole engine again
    assert list(StepOutput.objects.filter(case=case).values_list("kind", "number")) == before


@pytest.mark.django_db
def test_steps_approved_after_an_officer_registers_the_company_issue_their_documents(zone):
    """Custom articles: registration waits for the AMR officer; the parallel steps follow."""
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    assert not case.step_outputs.exists()
    task = case.tasks.get(key="registration")
    cases.decide(task.pk, zone.reviewer, "approve", "章程合规")
    case.refresh_from_db()
    assert sorted(case.step_outputs.values_list("kind", flat=True)) == sorted(KINDS.values())


def test_a_number_scheme_is_checked():
    assert process.number_problems("{division}{seq:07}") == []
    assert process.number_problems("税通〔{year}〕{seq}号") == []
    assert process.number_problems("{division}") == ["exactly one {seq} is needed"]
    assert process.number_problems("{nope}{seq}") == ["unknown placeholder nope"]
    assert process.render_number("A{year}-{seq:03}", {"year": "2026"}, 7) == "A2026-007"
    assert process.number_counter("A{year}-{seq:03}号", {"year": "2026"}) == "A2026-"


def test_a_task_output_without_titles_or_with_a_bad_scheme_is_refused():
    definition = {
        "stages": [
            {
                "key": "review",
                "type": "review",
                "tasks": [
                    {
                        "key": "t",
                        "department": "TAX",
                        "outputs": [
                            {"kind": "x", "title_zh": "甲", "title_en": "A", "number": "{year}"},
                            {"kind": "y"},
                        ],
                    }
                ],
            }
        ]
    }
    paths = [p.field for p in process.validate_definition(definition, {"TAX"})]
    assert paths == ["stages[0].tasks[0].outputs[0].number", "stages[0].tasks[0].outputs[1]"]


@pytest.mark.django_db
def test_the_seal_filing_record_names_the_seals_in_english_on_an_english_page(zone):
    """Walkthrough of issue 14: the English step document listed "公章、财务专用章、…"."""
    case = submit(zone.applicant, seal={"seal_count": 6}).case
    [line] = StepOutput.objects.get(case=case, kind="seal_filing_record").details["fields"]
    assert line["value_zh"] == "公章、财务专用章、发票专用章、合同专用章、法定代表人名章、其他印章1"
    assert line["value_en"] == (
        "Company seal, Finance seal, Invoice seal, Contract seal, Legal representative's seal, Other seal 1"
    )
