"""The documents each step produced (办理结果): on the case page, in "my licences and documents",
and as a page of their own to read and print — the applicant's only."""

import pytest
from django.urls import reverse

from zimao.catalog import zone as zone_profile
from zimao.testing import submit

pytestmark = pytest.mark.django_db


def test_the_case_page_lists_each_steps_document(client, zone):
    case = submit(zone.applicant).case
    client.force_login(zone.applicant)
    page = client.get(reverse("web:case", args=[case.number])).content.decode()
    assert 'id="step-outputs"' in page
    for output in case.step_outputs.all():
        assert output.number in page and output.title_zh in page
        assert reverse("web:case_step_output", args=[case.number, output.kind]) in page
    assert zone_profile.authority_for("TAX").name_zh in page


def test_my_documents_lists_licences_and_step_documents(client, zone):
    case = submit(zone.applicant).case
    submit(zone.applicant2, "博远")  # someone else's
    client.force_login(zone.applicant)
    page = client.get(reverse("web:documents")).content.decode()
    assert case.outputs[0]["identifier"] in page  # the business licence
    mine = list(case.step_outputs.values_list("number", flat=True))
    assert len(mine) == 5 and all(n in page for n in mine)
    assert page.count('<tr data-kind="') == 5


def test_a_step_document_page_prints_what_was_issued_and_by_whom(client, zone):
    case = submit(zone.applicant).case
    tax = case.step_outputs.get(kind="tax_registration_confirmation")
    client.force_login(zone.applicant)
    page = client.get(reverse("web:case_step_output", args=[case.number, tax.kind])).content.decode()
    assert tax.number in page and case.results["uscc"] in page
    assert "纳税人识别号" in page and zone_profile.authority_for("TAX").name_zh in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("web:case_step_output", args=[case.number, tax.kind])).content.decode()
    assert "Tax matters notice" in page and zone_profile.authority_for("TAX").name_en in page
    # The service is named in full above the title, not cut off ("Start a company (registration, seal, ta…").
    assert case.service.name_en in page and "…" not in page


def test_a_step_document_is_not_found_for_anyone_else_or_a_kind_not_issued(client, zone):
    case = submit(zone.applicant, steps={"selected": ["tax"]}).case
    client.force_login(zone.applicant2)
    assert (
        client.get(reverse("web:case_step_output", args=[case.number, "tax_registration_confirmation"])).status_code
        == 404
    )
    client.force_login(zone.applicant)
    assert client.get(reverse("web:case_step_output", args=[case.number, "seal_filing_record"])).status_code == 404


def test_a_step_document_as_a_pdf_is_signed_by_its_issuer_the_banks_printout_is_not(client, zone, settings, tmp_path):
    settings.ZIMAO_PKI_DIR = str(tmp_path / "pki")
    from zimao.core import pdfsign

    case = submit(zone.applicant).case
    client.force_login(zone.applicant)
    tax = case.step_outputs.get(kind="tax_registration_confirmation")
    response = client.get(reverse("web:case_step_output_pdf", args=[case.number, tax.kind]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    check = pdfsign.check_pdf(response.content)
    assert check.genuine, check.problem
    assert check.signer_uscc == zone_profile.authority_for("TAX").uscc
    assert check.reference == f"{case.number}.tax-registration-confirmation"
    bank = client.get(reverse("web:case_step_output_pdf", args=[case.number, "bank_appointment"]))
    assert bank.status_code == 200 and not pdfsign.check_pdf(bank.content).signed
