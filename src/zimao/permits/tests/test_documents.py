"""Licences and permits as the real documents (issue 13 item 1): the business licence's fields
per the 2019 design, each permit issued in the name of the authority that decides it, type codes
per permit kind, and the food business permit's own fields and number."""

from __future__ import annotations

import re

import pytest

from zimao.catalog import zone
from zimao.catalog.models import ServiceItem
from zimao.core import elicence, wording
from zimao.licences import pdf
from zimao.licences import services as licences
from zimao.permits import catalogue
from zimao.permits.tests.helpers import apply

pytestmark = pytest.mark.django_db


def _licence_of(entity):
    [cred] = [c for c in licences.credentials_for(entity.uscc) if c.kind == "business_licence"]
    return cred


def test_business_licence_fields_as_the_2019_design_prints_them(company):
    cred = _licence_of(company)
    s = cred.subject
    assert s["type"] == "有限责任公司（自然人投资或控股）"  # the company type, not the name's suffix
    assert s["registered_capital"] == "壹佰万元整"  # 100 万元 in capital numerals
    assert "registered_capital_wan" not in s
    assert re.fullmatch(r"\d{4}年\d{2}月\d{2}日", s["established_on"])
    assert s["established_on"] == wording.date_zh(company.established_on)
    assert s["business_term"] == f"{s['established_on']} 至 长期"  # 营业期限, not a generic 有效期
    amr = zone.authority_for("AMR")
    assert s["registration_authority"] == amr.name_zh == cred.issuer_name  # 登记机关 signs it
    assert elicence.parse_identifier(cred.identifier).issuer_uscc == amr.uscc
    html = pdf.render_html(cred)
    text = re.sub(r"<[^>]+>", " ", html.split("</style>")[1])
    for label, value in (
        ("类　　型", s["type"]),
        ("注册资本", "壹佰万元整"),
        ("成立日期", s["established_on"]),
        ("营业期限", s["business_term"]),
        ("登记机关", amr.name_zh),
    ):
        assert re.search(re.escape(label) + r"\s+" + re.escape(value), text), label
    assert "有效期" not in text and "国家市场监督管理总局监制" not in text  # SAMR's print mark is not imitated


def test_the_business_licence_is_a_stable_document(company):
    cred = _licence_of(company)
    before = pdf.render_html(cred)
    permit = licences.get_credential(apply(company.applicant, "ZZ-SPJY", company.uscc).outputs[0]["identifier"])
    licences.revoke(permit.identifier, "测试", actor="system:test")
    after = pdf.render_html(cred)
    assert after == before  # neither a new permit nor its revocation changes the licence
    assert permit.title_zh not in after
    # The integrated, live view is behind the QR code.
    result = licences.verify(cred.identifier)
    assert [(c.identifier, st) for c, st in result.other_credentials] == [(permit.identifier, "revoked")]


def test_food_business_permit_carries_its_own_fields_and_number(company):
    case = apply(company.applicant, "ZZ-SPJY", company.uscc, food={"business_type": "catering"})
    cred = licences.get_credential(case.outputs[0]["identifier"])
    s = cred.subject
    division = zone.current().division
    assert re.fullmatch(r"JY2" + division + r"\d{6}\d", s["permit_number"])  # JY + 14 digits, 2 = 餐饮
    assert len(s["permit_number"]) == 16
    assert s["business_form"] == "餐饮服务经营者"
    assert s["business_items"] == "热食类食品制售"
    assert s["supervising_authority"] == zone.authority_for("AMR").name_zh
    assert s["complaint_phone"] == "12315"
    assert s["legal_representative"] == company.legal_rep_name and s["address"] == company.address
    html = pdf.render_html(cred)
    for label in ("许可证编号", "主体业态", "经营项目", "日常监督管理机构", "投诉举报电话", s["permit_number"]):
        assert label in html
    other = apply(company.applicant, "ZZ-SPJY", company.uscc, food={"business_type": "food_sales"})
    number = licences.get_credential(other.outputs[0]["identifier"]).subject["permit_number"]
    assert number.startswith("JY1" + division) and number != s["permit_number"]


def _mod11_10_ok(digits: str) -> bool:
    # ISO 7064 MOD 11,10: after the body, (p + check) mod 10 must be 1.
    p = 10
    for ch in digits[:-1]:
        p = (2 * ((p + int(ch)) % 10 or 10)) % 11
    return (p + int(digits[-1])) % 10 == 1


def test_food_permit_number_check_digit(permit_zone):
    import datetime as dt

    from zimao.permits import numbers

    spec = catalogue.facts(ServiceItem.objects.get(code="ZZ-SPJY")).permit["number"]
    number = numbers.render(spec, division="410300", today=dt.date(2026, 12, 5), form_answer="catering")
    assert re.fullmatch(r"JY2410300\d{7}", number)
    assert re.fullmatch(numbers.pattern(spec, division="410300", today=dt.date(2026, 12, 5)), number)
    assert _mod11_10_ok(number[2:])
    typo = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert not _mod11_10_ok(typo[2:])


# Each permit kind's own printed fields (label → value or None for "any value"), per its catalogue entry.
OWN_FIELDS = {
    "ZZ-YPLS": {"许可证编号": None, "经营方式": "零售", "经营范围": None, "质量负责人": None, "日常监管机构": None},
    "ZZ-GGCS": {"许可证编号": None, "法定代表人（负责人）": None, "许可项目": None, "地址": None},
    "ZZ-LXS": {"许可证编号": None, "经营范围": "国内旅游业务、入境旅游业务", "出境旅游业务": "不含出境旅游业务"},
    "ZZ-PM": {"证书编号": None, "注册资本": None, "经营范围": "拍卖业务"},
    "ZZ-RLZY": {"许可证编号": None, "服务范围": None},
    "ZZ-CBWLS": {"许可证编号": None, "经营方式": "零售", "经营范围": None},
    "ZZ-YSJY": {"许可证编号": None, "经营范围": None},
    "ZZ-DLHY": {"经营许可证号": None, "经营范围": "道路普通货物运输", "营运车辆": None},
    "ZZ-WHHX": {"许可证编号": None, "主要负责人": None, "经营方式": None, "许可范围": None},
    "ZZ-YCLS": {"许可证号": None, "负责人": None, "经营场所": None, "经营范围": "卷烟、雪茄烟零售", "经营业态": None},
    # no layout of its own: the documented generic one
    "ZZ-NYJY": {"许可证编号": None},
    "ZZ-YBZSP": {"备案编号": None},
}


def _granted(permit_zone, company, code):
    """Apply with the item's sample data; an officer (the zone administrator) approves what needs it."""
    from zimao.cases.services import decide

    case = apply(company.applicant, code, company.uscc)
    for _stage in range(3):
        for task in case.tasks.filter(status="open", kind="review").exclude(stage_key="post_check"):
            decide(task.pk, permit_zone.admin, "approve")
    case.refresh_from_db()
    return licences.get_credential(case.outputs[0]["identifier"])


@pytest.mark.parametrize("code", sorted(OWN_FIELDS))
def test_each_permit_kind_prints_its_own_fields_and_a_number_in_its_format(permit_zone, company, code):
    from django.utils import timezone

    from zimao.licences import services as store
    from zimao.permits import numbers

    item = ServiceItem.objects.get(code=code)
    cred = _granted(permit_zone, company, code)
    division = zone.current().division
    spec = catalogue.facts(item).permit.get("number") or numbers.GENERIC
    number = cred.subject["permit_number"]
    assert re.fullmatch(numbers.pattern(spec, division=division, today=timezone.localdate()), number), number
    rows = {r["label_zh"]: r["value"] for r in store.subject_fields(cred.subject, masked=False, holder=cred)}
    for label, value in OWN_FIELDS[code].items():
        assert rows.get(label), (label, rows)
        if value is not None:
            assert rows[label] == value, (label, rows[label])
    assert "_labels" not in {r["key"] for r in store.subject_fields(cred.subject, masked=True)}
    html = pdf.render_html(cred)
    for label in OWN_FIELDS[code]:
        assert label in html, label
    assert number in html
    # A second permit of the kind gets another number in the same format.
    again = _granted(permit_zone, company, code)
    assert again.subject["permit_number"] != number
    assert re.fullmatch(
        numbers.pattern(spec, division=division, today=timezone.localdate()), again.subject["permit_number"]
    )


def test_number_layouts_are_catalogue_data_with_the_zone_province(permit_zone):
    import datetime as dt

    from zimao.permits import numbers

    day = dt.date(2026, 12, 5)
    drug = catalogue.facts(ServiceItem.objects.get(code="ZZ-YPLS")).permit["number"]
    assert re.fullmatch(r"豫DA4103\d{5}", numbers.render(drug, division="410300", today=day))
    assert re.fullmatch(r"鲁DA3702\d{5}", numbers.render(drug, division="370200", today=day))
    hr = catalogue.facts(ServiceItem.objects.get(code="ZZ-RLZY")).permit["number"]
    assert re.fullmatch(r"（豫）人服证字〔2026〕第410300\d{4}号", numbers.render(hr, division="410300", today=day))
    tobacco = catalogue.facts(ServiceItem.objects.get(code="ZZ-YCLS")).permit["number"]
    assert re.fullmatch(r"410300\d{6}", numbers.render(tobacco, division="410300", today=day))
    # The generic layout: one serial for every kind without its own, so no two share a number.
    first = numbers.render(numbers.GENERIC, division="410300", today=day)
    second = numbers.render(numbers.GENERIC, division="410300", today=day)
    assert re.fullmatch(r"4103002026\d{6}", first) and first != second


@pytest.mark.parametrize("code", ["ZZ-SPJY", "ZZ-XFJC", "ZZ-LGTZ", "ZZ-PM", "ZZ-LXS", "ZZ-GGCS", "ZZ-YLQX2", "ZZ-YSJY"])
def test_each_permit_is_issued_by_the_authority_that_decides_it(company, code):
    item = ServiceItem.objects.select_related("department").get(code=code)
    case = apply(company.applicant, code, company.uscc)
    cred = licences.get_credential(case.outputs[0]["identifier"])
    authority = zone.authority_for(item.department.code)
    assert authority != zone.current().issuer  # a department's own authority, not the zone committee
    assert cred.issuer_name == authority.name_zh
    assert cred.subject["competent_department"] == authority.name_zh
    assert elicence.parse_identifier(cred.identifier).issuer_uscc == authority.uscc
    # Every permit names its holder's legal representative and domicile, as the real ones do.
    assert cred.subject["legal_representative"] == company.legal_rep_name
    assert cred.subject["address"] == company.address


def test_type_codes_follow_the_permit_kind_not_the_reform_mode(company):
    travel = apply(company.applicant, "ZZ-LXS", company.uscc)
    auction = apply(company.applicant, "ZZ-PM", company.uscc)
    codes = {elicence.parse_identifier(c.outputs[0]["identifier"]).type_code for c in (travel, auction)}
    assert len(codes) == 2  # both 告知承诺, two kinds of licence
    permits = [catalogue.facts(s).permit for s in ServiceItem.objects.all()]
    kinds = [p["kind"] for p in permits if p.get("kind")]
    seqs = [licences.type_code_for(k)[-3:] for k in kinds]
    assert len(set(seqs)) == len(seqs) and licences.OTHER_TYPE_SEQ not in seqs
