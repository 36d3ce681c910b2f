"""Certificates of origin — 原产地证书: issue, validity, retroactive issue, true copies,
back-to-back proofs, approved exporters' declarations, tamper detection, permissions, statistics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zimao.core import audit, signing
from zimao.core.errors import BusinessError
from zimao.trade import services
from zimao.trade.certificates import document as docs
from zimao.trade.models import Certificate, ExchangeRate, TrueCopy
from zimao.trade.tests.trade_helpers import application, back_to_back_goods, chair_bom, failing_bom

pytestmark = pytest.mark.django_db


def apply(trade, user=None, **kw):
    user = user or trade.applicant
    uscc = trade.exporter.uscc if user == trade.applicant else trade.other.uscc
    kind = kw.pop("kind", Certificate.Kind.ORIGINAL)
    return services.apply(user, application(uscc, **kw), kind=kind)


def codes(exc) -> set[str]:
    return {p.code for p in exc.value.problems}


def fields(exc) -> set[str]:
    return {p.field for p in exc.value.problems}


# -- the ordinary journey ----------------------------------------------------------------------


def test_apply_goes_to_the_issuing_bodys_queue_and_is_issued(trade, django_capture_on_commit_callbacks, monkeypatch):
    events = []
    from zimao.core import events as announced

    monkeypatch.setattr(announced, "announce_fact", lambda *a, **kw: events.append((a, kw)))
    cert = apply(trade)
    assert cert.status == "submitted" and cert.reference.startswith("COA") and cert.number is None
    assert cert.data["goods"][0]["determination"]["originating"] is True
    assert cert.data["goods"][0]["criterion"] == ["CTC"]
    assert cert.data["goods"][0]["rcep_country"] == "CN"
    assert cert.due_date is not None
    assert list(services.review_queue(trade.coo)) == [cert]
    assert list(services.review_queue(trade.customs)) == []  # went to CCPIT, not customs

    with django_capture_on_commit_callbacks(execute=True):
        cert = services.issue(cert.reference, trade.coo)
    today = timezone.localdate()
    assert cert.status == "issued" and docs.number_well_formed(cert.number)
    assert cert.number.startswith(f"R{today.year}LYP")
    assert cert.issued_on == today and cert.valid_until == docs.add_years(today, 1) - dt.timedelta(days=1)
    assert cert.retroactive is False
    assert cert.fob_cny == Decimal("355000.00")  # 50,000 USD × 7.1
    content = cert.content
    assert content["exporter"]["name"].startswith("Luoyang Zhimao") and content["importer"]["country"] == "JP"
    goods = content["goods"][0]
    assert goods["hs"] == "940360" and goods["criterion"] == ["CTC"] and goods["rcep_country"] == "CN"
    assert goods["fob"] is None  # Annex 3B 1(k): FOB only where RVC is used
    assert content["certification"]["issuing_body"] == "CCPIT" and content["certification"]["signatory"].startswith(
        "Authorised officer, "
    )  # English only (Art. 3.17.3(c))
    assert services.verify(cert.number).status == "valid"
    assert [e.action for e in audit.history("trade.certificate", cert.pk)] == ["coo.apply", "coo.issue"]
    assert len(events) == 1
    args, kw = events[0]
    assert args[0] == "trade.rcep_certificates" and kw["dimension"] == "JP" and kw["event_key"] == f"coo:{cert.number}"
    assert kw["value"] == Decimal("355000.00")


def test_numbers_are_unique_and_never_reused(trade):
    numbers = set()
    for _ in range(3):
        cert = services.issue(apply(trade).reference, trade.coo)
        numbers.add(cert.number)
    assert len(numbers) == 3


def test_fob_shown_when_rvc_is_the_criterion(trade):
    bom = chair_bom()
    bom["rule"] = "RVC40"
    cert = apply(
        trade,
        goods=[
            {
                "bom": bom,
                "description": "Oak chairs",
                "packages": "5 CARTONS",
                "quantity": "50",
                "unit": "PCS",
                "fob_value": "5000.00",
            }
        ],
    )
    cert = services.issue(cert.reference, trade.coo)
    assert cert.content["goods"][0]["criterion"] == ["RVC"] and cert.content["goods"][0]["fob"] == "5000.00"


def test_not_originating_is_refused_with_what_would_qualify(trade):
    with pytest.raises(BusinessError) as exc:
        apply(
            trade,
            goods=[
                {
                    "bom": failing_bom(),
                    "description": "Chairs",
                    "packages": "1 CARTON",
                    "quantity": "1",
                    "unit": "PCS",
                    "fob_value": "100",
                }
            ],
        )
    problem = exc.value.problems[0]
    assert problem.code == "not_originating" and problem.field == "goods[0]"
    assert "To qualify: CTH" in problem.en and "不具有 RCEP 原产资格" in problem.zh


def test_bad_input_names_every_field_in_both_languages(trade):
    data = application(trade.exporter.uscc)
    data["importer"]["country"] = "CN"
    data["exporter"]["name"] = "洛阳智贸"
    data["goods"][0]["bom"]["product"]["hs"] = "94036"
    data["goods"][0]["quantity"] = "-1"
    data["invoices"] = []
    with pytest.raises(BusinessError) as exc:
        services.apply(trade.applicant, data)
    assert exc.value.status == 422
    assert {"importer.country", "exporter.name", "goods[0].bom.product.hs", "goods[0].quantity", "invoices"} <= fields(
        exc
    )
    for p in exc.value.problems:
        assert p.zh and p.en and p.zh != p.en


def test_goods_made_elsewhere_need_a_back_to_back_certificate(trade):
    with pytest.raises(BusinessError) as exc:
        apply(
            trade,
            goods=[
                {
                    "bom": chair_bom(country="TH"),
                    "description": "Chairs",
                    "packages": "1 CARTON",
                    "quantity": "1",
                    "unit": "PCS",
                    "fob_value": "100",
                }
            ],
        )
    assert "not_exporting_party" in codes(exc)


def test_rcep_country_of_origin_art_2_6(trade):
    from zimao.trade.origin import determine

    # PE from Thai and Japanese materials with only minimal operations: highest-value Party (2.6.4).
    bom = {
        "hs_version": "HS2012",
        "rule": "CTH",
        "product": {"hs": "940360", "fob": "100", "currency": "USD", "country": "CN", "operations": ["packaging"]},
        "materials": [
            {"description": "a", "hs": "940390", "country": "TH", "originating": True, "value": "20"},
            {"description": "b", "hs": "940390", "country": "JP", "originating": True, "value": "30"},
        ],
    }
    result = determine(bom)
    assert "PE" in result.criterion
    assert docs.rcep_country_of_origin(bom, result)["country"] == "JP"
    assert docs.rcep_country_of_origin(bom, result)["basis"] == "Art. 2.6.4"
    # The same good assembled in China: production beyond minimal operations makes China the country (2.6.2).
    bom["product"]["operations"] = ["assembly"]
    result = determine(bom)
    assert docs.rcep_country_of_origin(bom, result)["country"] == "CN"


def test_idempotent_application(trade):
    data = application(trade.exporter.uscc)
    a = services.apply(trade.applicant, data, idempotency_key="k1")
    b = services.apply(trade.applicant, data, idempotency_key="k1")
    assert a.pk == b.pk and Certificate.objects.count() == 1


def test_issuing_twice_or_after_refusal_conflicts(trade):
    cert = apply(trade)
    services.issue(cert.reference, trade.coo)
    with pytest.raises(BusinessError) as exc:
        services.issue(cert.reference, trade.coo)
    assert exc.value.status == 409
    other = apply(trade)
    with pytest.raises(BusinessError):
        services.refuse(other.reference, trade.coo, "")
    services.refuse(other.reference, trade.coo, "Invoice does not match the goods")
    with pytest.raises(BusinessError) as exc:
        services.issue(other.reference, trade.coo)
    assert exc.value.status == 409


def test_missing_exchange_rate_is_asked_for_then_kept(trade):
    ExchangeRate.objects.all().delete()
    cert = apply(trade)
    with pytest.raises(BusinessError) as exc:
        services.issue(cert.reference, trade.coo)
    assert "no_exchange_rate" in codes(exc)
    cert = services.issue(cert.reference, trade.coo, cny_rate="7.05")
    assert cert.fob_cny == Decimal("352500.00")
    assert ExchangeRate.objects.get(currency="USD").cny_per_unit == Decimal("7.05")


# -- validity, retroactive issue -----------------------------------------------------------------


def test_valid_for_one_year_then_expired(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    assert services.verify(cert.number, today=cert.valid_until).status == "valid"
    assert services.verify(cert.number, today=cert.valid_until + dt.timedelta(days=1)).status == "expired"
    assert docs.one_year_validity(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert docs.one_year_validity(dt.date(2026, 3, 1)) == dt.date(2027, 2, 28)


def test_retroactive_issue_within_a_year_of_shipment(trade):
    past = timezone.localdate() - dt.timedelta(days=20)
    with pytest.raises(BusinessError) as exc:
        apply(trade, departure=past)
    assert "retroactive_reason" in fields(exc)
    cert = apply(trade, departure=past, retroactive_reason="The certificate was not applied for by an oversight")
    cert = services.issue(cert.reference, trade.coo)
    assert cert.retroactive is True and cert.content["flags"]["issued_retroactively"] is True
    assert cert.content["remarks"][0].startswith("ISSUED RETROACTIVELY")
    with pytest.raises(BusinessError) as exc:
        apply(trade, departure=timezone.localdate() - dt.timedelta(days=400), retroactive_reason="late")
    assert "too_late" in codes(exc)


def test_issued_after_departure_becomes_retroactive_and_needs_a_reason(trade, monkeypatch):
    cert = apply(trade)  # departs in three days
    later = cert.departure_date + dt.timedelta(days=5)
    # The issuing body decides on the engine's case, on the engine's today.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: later)
    with pytest.raises(BusinessError) as exc:
        services.issue(cert.reference, trade.coo, today=later)
    assert "retroactive_reason" in fields(exc)
    cert = services.issue(
        cert.reference, trade.coo, today=later, retroactive_reason="Issuing body closed on departure", cny_rate="7.1"
    )
    assert cert.retroactive and cert.issued_on == later
    too_late = apply(trade)
    past_the_year = too_late.departure_date + dt.timedelta(days=370)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: past_the_year)
    with pytest.raises(BusinessError) as exc:
        services.issue(
            too_late.reference,
            trade.coo,
            today=past_the_year,
            retroactive_reason="x",
            cny_rate="7.1",
        )
    assert exc.value.status == 409


# -- certified true copies ----------------------------------------------------------------------


def test_certified_true_copy_has_the_same_number_and_date(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    with pytest.raises(BusinessError):
        services.request_true_copy(trade.applicant, cert.number, "")
    copy = services.request_true_copy(trade.applicant, cert.number, "The original was lost in the mail")
    assert copy.status == "requested" and list(services.true_copies_queue(trade.coo)) == [copy]
    with pytest.raises(BusinessError) as exc:
        services.issue_true_copy(copy.reference, trade.customs)  # not the body that issued the original
    assert exc.value.status == 403
    copy = services.issue_true_copy(copy.reference, trade.coo)
    assert copy.status == "issued" and copy.certificate.number == cert.number
    payload = signing.verify_jws(copy.jws)
    assert payload["number"] == cert.number and payload["issued_on"] == cert.issued_on.isoformat()
    result = services.verify(cert.number)
    assert result.status == "valid" and [t.pk for t in result.true_copies] == [copy.pk]


def test_no_true_copy_a_year_after_issue(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    Certificate.objects.filter(pk=cert.pk).update(issued_on=cert.issued_on - dt.timedelta(days=400))
    with pytest.raises(BusinessError) as exc:
        services.request_true_copy(trade.applicant, cert.number, "lost")
    assert exc.value.status == 409 and "too_late" in codes(exc)
    assert TrueCopy.objects.count() == 0


def test_someone_else_cannot_ask_for_a_true_copy(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    with pytest.raises(BusinessError) as exc:
        services.request_true_copy(trade.applicant2, cert.number, "lost")
    assert exc.value.status == 404


# -- back-to-back (Art. 3.19) -------------------------------------------------------------------


def test_back_to_back_with_partial_quantity_and_the_originals_reference(trade):
    cert = apply(trade, kind="back_to_back", goods=back_to_back_goods("300"))
    cert = services.issue(cert.reference, trade.coo)
    goods = cert.content["goods"][0]
    assert goods["quantity"] == "300" and goods["original"]["reference"] == "TH2026-0001234"
    assert goods["rcep_country"] == "TH" and goods["criterion"] == ["WO"]
    assert cert.content["flags"]["back_to_back"] is True
    assert any("TH2026-0001234" in r and "BACK-TO-BACK" in r for r in cert.content["remarks"])
    original_until = docs.one_year_validity(timezone.localdate() - dt.timedelta(days=30))
    assert cert.valid_until == original_until  # never longer than the original (Art. 3.19.1(b))

    second = apply(trade, kind="back_to_back", goods=back_to_back_goods("700"))
    assert second.status == "submitted"  # 300 + 700 = the full 1,000 KG
    with pytest.raises(BusinessError) as exc:
        apply(trade, kind="back_to_back", goods=back_to_back_goods("1"))
    assert exc.value.status == 409 and "exceeds_original" in codes(exc)
    services.withdraw(trade.applicant, second.reference)
    third = apply(trade, kind="back_to_back", goods=back_to_back_goods("650"))  # the withdrawn 700 is free again
    assert third.status == "submitted"


def test_back_to_back_needs_a_valid_consistent_original(trade):
    with pytest.raises(BusinessError) as exc:
        apply(
            trade,
            kind="back_to_back",
            goods=back_to_back_goods(issued_on=(timezone.localdate() - dt.timedelta(days=400)).isoformat()),
        )
    assert "original_expired" in codes(exc)
    apply(trade, kind="back_to_back", goods=back_to_back_goods("100"))
    with pytest.raises(BusinessError) as exc:
        apply(trade, kind="back_to_back", goods=back_to_back_goods("100", quantity="5000"))
    assert "original_mismatch" in codes(exc)


# -- approved exporters and declarations of origin (Arts. 3.18, 3.21) --------------------------


def authorise(trade, chapters=("94",)):
    return services.authorise_exporter(
        trade.customs,
        uscc=trade.exporter.uscc,
        name_en="Luoyang Zhimao Import & Export Co., Ltd.",
        address_en="No. 1 Tianjin Road, Luoyang, China",
        hs_chapters=list(chapters),
    )


def declaration(code, bom=None):
    return {
        "authorisation_code": code,
        "currency": "USD",
        "signatory": "Li Ming",
        "importer": {"name": "Seoul Living Co.", "address": "1 Sejong-daero, Seoul", "country": "KR"},
        "goods": [
            {
                "bom": bom or chair_bom(),
                "description": "Oak chairs",
                "packages": "10 CARTONS",
                "quantity": "100",
                "unit": "PCS",
                "fob_value": "10000.00",
            }
        ],
    }


def test_only_customs_authorises_approved_exporters(trade):
    with pytest.raises(BusinessError) as exc:
        services.authorise_exporter(
            trade.coo, uscc=trade.exporter.uscc, name_en="X", address_en="Y", hs_chapters=["94"]
        )
    assert exc.value.status == 403
    exporter = authorise(trade)
    assert exporter.code.startswith("CNLYAE") and exporter.hs_chapters == ["94"]
    with pytest.raises(BusinessError) as exc:
        authorise(trade)
    assert exc.value.status == 409


def test_approved_exporter_completes_a_declaration_of_origin(trade):
    exporter = authorise(trade)
    dec = services.complete_declaration(trade.applicant, declaration(exporter.code))
    assert dec.reference.startswith(exporter.code) and docs.number_well_formed(dec.reference)
    assert dec.content["authorisation_code"] == exporter.code and dec.content["goods"][0]["criterion"] == ["CTC"]
    assert dec.valid_until == docs.one_year_validity(dec.completed_on)
    result = services.verify(dec.reference)
    assert result.kind == "declaration" and result.status == "valid"
    assert result.facts()["authorisation_code"] == exporter.code


def test_declaration_limits(trade):
    exporter = authorise(trade, chapters=("40",))
    with pytest.raises(BusinessError) as exc:
        services.complete_declaration(trade.applicant, declaration(exporter.code))
    assert "not_authorised" in codes(exc)  # chairs are chapter 94
    with pytest.raises(BusinessError) as exc:
        services.complete_declaration(trade.applicant2, declaration(exporter.code))
    assert exc.value.status == 403  # not this company's code
    services.set_exporter_status(trade.customs, exporter.code, "suspended", "records not kept")
    with pytest.raises(BusinessError) as exc:
        services.complete_declaration(trade.applicant, declaration(exporter.code))
    assert exc.value.status == 409


# -- signatures and tampering --------------------------------------------------------------------


def test_tampering_with_the_content_or_columns_is_detected(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    assert services.verify(cert.number).genuine
    content = dict(cert.content)
    content["goods"] = [dict(content["goods"][0], quantity="5000")]
    Certificate.objects.filter(pk=cert.pk).update(content=content)
    result = services.verify(cert.number)
    assert not result.genuine and result.reason == "signature" and result.status == "not_genuine"
    assert result.facts() == {}
    Certificate.objects.filter(pk=cert.pk).update(content=cert.content, fob_total=Decimal("1.00"))
    assert services.verify(cert.number).signature_reason == "content_mismatch"
    Certificate.objects.filter(pk=cert.pk).update(fob_total=cert.fob_total, jws=cert.jws[:-4] + "AAAA")
    assert not services.verify(cert.number).genuine
    Certificate.objects.filter(pk=cert.pk).update(jws=cert.jws)
    assert services.verify(cert.number).genuine


def test_key_rotation_keeps_and_revocation_breaks_signatures(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    signing.rotate_key("admin")
    assert services.verify(cert.number).genuine
    signing.revoke_key(cert.kid, "admin")
    result = services.verify(cert.number)
    assert not result.genuine and result.signature_reason == "revoked_kid"


def test_mistyped_or_unknown_numbers(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    typo = cert.number[:-1] + ("0" if cert.number[-1] != "0" else "1")
    assert services.verify(typo).reason == "invalid_number"
    assert services.verify("").reason == "invalid_number"
    unknown_body = cert.number[:-7] + "999999"
    unknown = unknown_body + docs.mod37_36_check(unknown_body)
    assert services.verify(unknown).reason == "unknown"


def test_invalidated_certificate_shows_as_such(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    services.invalidate(cert.number, trade.coo, "Wrong importer; replaced")
    result = services.verify(cert.number)
    assert result.genuine and result.status == "invalidated"


# -- permissions ---------------------------------------------------------------------------------


def test_an_exporter_sees_only_its_own_certificates(trade):
    mine = apply(trade)
    theirs = apply(trade, user=trade.applicant2)
    assert list(services.certificates_for(trade.applicant)) == [mine]
    assert list(services.certificates_for(trade.applicant2)) == [theirs]
    with pytest.raises(BusinessError) as exc:
        services.get_certificate(trade.applicant2, mine.reference)
    assert exc.value.status == 404
    assert set(services.certificates_for(trade.coo)) == {mine, theirs}


def test_apply_only_for_a_company_you_act_for(trade):
    with pytest.raises(BusinessError) as exc:
        services.apply(trade.applicant2, application(trade.exporter.uscc))
    assert "not_your_company" in codes(exc)


def test_only_the_issuing_body_issues(trade):
    cert = apply(trade)
    for user in (trade.applicant, trade.reviewer, trade.reviewer_tax, trade.customs, trade.admin):
        with pytest.raises(BusinessError) as exc:
            services.issue(cert.reference, user)
        assert exc.value.status == 403, user
        with pytest.raises(BusinessError):
            services.refuse(cert.reference, user, "no")
    assert services.issue(cert.reference, trade.coo).status == "issued"


# -- statistics ----------------------------------------------------------------------------------


def test_statistics_by_destination_and_period(trade, monkeypatch):
    def issued(country, on, fob, currency="USD", rate="7.0"):
        # Applied and issued on ``on``: the calendar of the past, whatever today is.
        monkeypatch.setattr(timezone, "localdate", lambda *a, **kw: on)
        data = application(trade.exporter.uscc, currency=currency, departure=on + dt.timedelta(days=2))
        data["importer"]["country"] = country
        data["goods"][0]["fob_value"] = fob
        cert = services.apply(trade.applicant, data)
        return services.issue(cert.reference, trade.coo, today=on, cny_rate=rate if currency != "CNY" else None)

    issued("JP", dt.date(2026, 1, 10), "1000.00")
    issued("JP", dt.date(2026, 1, 20), "500.00")
    issued("KR", dt.date(2026, 1, 25), "2000.00", currency="CNY")
    issued("JP", dt.date(2026, 2, 3), "100.00", rate="7.2")
    late = issued("KR", dt.date(2026, 4, 1), "10.00", rate="7.3")
    services.invalidate(late.number, trade.coo, "replaced")
    monkeypatch.undo()

    rows = services.certificate_statistics(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert [(r["period"], r["country"], r["certificates"], r["fob_cny"]) for r in rows] == [
        ("2026-01", "JP", 2, "10500.00"),
        ("2026-01", "KR", 1, "2000.00"),
        ("2026-02", "JP", 1, "720.00"),
    ]
    assert rows[0]["fob"] == {"USD": "1500.00"} and rows[0]["country_zh"] == "日本"
    quarters = services.certificate_statistics(dt.date(2026, 1, 1), dt.date(2026, 12, 31), period="quarter")
    assert [(r["period"], r["country"], r["certificates"]) for r in quarters] == [
        ("2026-Q1", "JP", 3),
        ("2026-Q1", "KR", 1),
    ]
    assert services.certificate_statistics(dt.date(2026, 2, 1), dt.date(2026, 2, 28))[0]["fob_cny"] == "720.00"


def test_monitor_rebuild_source_replays_issued_certificates(trade):
    cert = services.issue(apply(trade).reference, trade.coo)
    events = list(services.monitor_events())
    assert [(e.event_key, e.dimension, e.value) for e in events] == [(f"coo:{cert.number}", "JP", Decimal("355000.00"))]


# -- one path through the engine ----------------------------------------------------------------


def test_applying_through_the_service_function_makes_a_case_like_the_pages(trade):
    """``services.apply`` (demo, bench, scripts) takes the engine's path: a case of RCEP-CO with its
    review task on the one workbench; the desk's refusal is the task's, its reason the certificate's."""
    from zimao.cases.models import Case

    cert = services.apply(trade.applicant, application(trade.exporter.uscc))
    case = Case.objects.get(number=cert.case_number)
    assert case.service.code == "RCEP-CO" and case.tasks.filter(status="open").exists()
    refused = services.refuse(cert.reference, trade.coo, "发票与货物不符")
    case.refresh_from_db()
    assert refused.status == "refused" and refused.refusal_reason == "发票与货物不符"
    assert case.status == "refused" and case.closed_reason == "发票与货物不符"


def test_a_true_copy_is_a_follow_up_output_of_the_case_in_the_licence_store(trade):
    """副本 on the engine: the copy is a credential of the same case (same number and validity),
    listed among the case's outputs; invalidating the original revokes the copy too."""
    from zimao.cases.models import Case
    from zimao.licences import services as licences

    cert = services.issue(apply(trade).reference, trade.coo)
    copy = services.request_true_copy(trade.applicant, cert.number, "The original was lost in the mail")
    services.issue_true_copy(copy.reference, trade.coo)
    case = Case.objects.get(number=cert.case_number)
    kinds = [(o["output"], o["kind"]) for o in case.outputs]
    assert kinds[1] == ("rcep_certificate_true_copy", "rcep_certificate_true_copy") and len(kinds) == 2
    (cred,) = licences.credentials_of_case(case.number, "rcep_certificate_true_copy")
    assert cred.subject["number"] == cert.number and cred.subject["true_copy_of"] == cert.credential_identifier
    assert cred.valid_until == cert.valid_until and licences.verify(cred.identifier).status == "valid"
    assert licences.get_credential(case.outputs[1]["identifier"]) == cred

    services.invalidate(cert.number, trade.coo, "replaced by a corrected certificate")
    assert licences.get_credential(cred.identifier).status == "revoked"
