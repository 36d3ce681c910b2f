"""The portal's pages through Django's test client: who may open what, the applicant's journey
generic from the catalogue, the workbench, the window, and what bad input looks like."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zimao.cases import services
from zimao.cases.models import Case, Draft, Material, Rating, Task
from zimao.cases.workflow import CaseStatus
from zimao.testing import ESTABLISHMENT, PDF, application, submit, upload_materials

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
ID_MASK = "1101**********002X"


def saved_sections(user) -> dict:
    """The sections of the user's saved draft (暂存) of the establishment, as the server keeps them."""
    draft = Draft.objects.filter(applicant=user, service__code=ESTABLISHMENT).first()
    return draft.sections if draft else {}


def text(response) -> str:
    return response.content.decode()


def png() -> bytes:
    """A real PNG (zimao.testing.PNG has a bad IDAT checksum, so the upload check refuses it)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(out, format="PNG")
    return out.getvalue()


def english(client):
    client.cookies["django_language"] = "en"
    return client


def as_post(values: dict) -> dict:
    return {k: ([str(x) for x in v] if isinstance(v, list) else str(v)) for k, v in values.items()}


def fill_sections(client, code=ESTABLISHMENT, trade_name="智远", **sections):
    for key, values in application(trade_name, **sections).items():
        response = client.post(reverse("web:apply_section", args=[code, key]), as_post(values))
        assert response.status_code == 302, (key, text(response)[:3000])
        assert response["Location"] == reverse("web:apply", args=[code])


def upload_all(client, code=ESTABLISHMENT):
    files = {
        f"file-{k}": SimpleUploadedFile(f"{k}.pdf", PDF, "application/pdf") for k in ("articles", "id_copy", "premises")
    }
    response = client.post(reverse("web:apply_materials", args=[code]), files)
    assert response.status_code == 302, text(response)[:3000]


def idempotency_key(response) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', text(response)).group(1)


def send(client, code=ESTABLISHMENT, delivery="electronic", mail_address="", key=None):
    check = client.get(reverse("web:apply_check", args=[code]))
    assert check.status_code == 200
    key = key or idempotency_key(check)
    return client.post(
        reverse("web:apply_check", args=[code]),
        {"idempotency_key": key, "delivery_method": delivery, "mail_address": mail_address},
    )


def apply_online(client, user, trade_name="智远", delivery="electronic", **sections) -> Case:
    client.force_login(user)
    fill_sections(client, trade_name=trade_name, **sections)
    upload_all(client)
    response = send(client, delivery=delivery)
    assert response.status_code == 302, text(response)[:3000]
    number = response["Location"].split("/")[2]
    return Case.objects.get(number=number)


# ---------------------------------------------------------------- public pages and accounts


def test_public_pages(client, zone):
    for url in ("/", "/services/", f"/services/{ESTABLISHMENT}/", "/login/", "/register/", "/verify/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text(response)), url  # CSP: no inline script
        assert " on" + "click=" not in text(response)
    guide = text(client.get(f"/services/{ESTABLISHMENT}/"))
    assert "市场监督管理局" in guide and "公司章程" in guide and f'href="/apply/{ESTABLISHMENT}/"' in guide
    english(client)
    guide = text(client.get(f"/services/{ESTABLISHMENT}/"))
    assert "Administration for Market Regulation" in guide and "Articles of association" in guide
    assert "1 working day" in guide and "3 working days" in guide
    assert client.get("/services/NOPE-404/").status_code == 404


def test_register_shows_each_error_beside_its_field(client, zone):
    english(client)
    response = client.post(
        "/register/",
        {
            "username": "newco",
            "first_name": "",
            "id_number": "",
            "phone": "12345",
            "password1": "password",
            "password2": "different",
        },
    )
    assert response.status_code == 200
    body = text(response)
    assert 'class="error-summary"' in body
    assert "Enter an 11-digit mobile number" in body
    assert "didn’t match" in body or "didn't match" in body
    assert 'href="#id_first_name"' in body and 'href="#id_phone"' in body
    # Django's validators: too common / too short.
    response = client.post(
        "/register/", {"username": "newco", "first_name": "张三", "password1": "123", "password2": "123"}
    )
    assert "too short" in text(response) or "too common" in text(response)


def test_register_then_log_in(client, zone):
    from django.contrib.auth import get_user_model

    from zimao.web.models import Profile

    response = client.post(
        "/register/",
        {
            "username": "newco",
            "first_name": "张三",
            "id_number": "440524199001010018",
            "phone": "13912345678",
            "password1": "Zimao-secure-2026",
            "password2": "Zimao-secure-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/login/"
    user = get_user_model().objects.get(username="newco")
    assert user.first_name == "张三" and user.check_password("Zimao-secure-2026")
    profile = Profile.objects.get(user=user)
    assert profile.phone == "13912345678" and profile.phone_masked == "139****5678"
    from django.db import connection

    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT phone FROM web_profile WHERE id = %s", [profile.pk])
        assert "13912345678" not in cursor.fetchone()[0]
    response = client.post("/login/", {"username": "newco", "password": "Zimao-secure-2026"})
    assert response.status_code == 302
    home = text(client.get("/"))
    assert "newco" in home and 'href="/cases/"' in home


def test_login_error_is_shown(client, zone):
    response = client.post("/login/", {"username": "applicant", "password": "wrong"})
    assert response.status_code == 200 and 'class="error-summary"' in text(response)


def test_nav_links_per_role(client, zone):
    def links(user):
        client.force_login(user)
        return set(re.findall(r'data-nav="(\w+)"', text(client.get("/"))))

    assert links(zone.applicant) == {"cases", "documents", "account", "permits", "trade", "notifications"}
    assert links(zone.reviewer) == {"workbench", "post_checks"}
    assert links(zone.clerk) == {"workbench", "window", "intake", "ratings", "post_checks"}
    assert links(zone.admin) == {"workbench", "window", "ratings", "post_checks", "dashboard", "admin"}


# ---------------------------------------------------------------- who may open what


@pytest.mark.parametrize(
    "url",
    [
        "/cases/",
        f"/apply/{ESTABLISHMENT}/",
        f"/apply/{ESTABLISHMENT}/name/",
        f"/apply/{ESTABLISHMENT}/check/",
        "/workbench/",
        "/window/",
        "/materials/00000000-0000-4000-8000-000000000001/",
    ],
)
def test_anonymous_is_sent_to_log_in(client, zone, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_anonymous_cannot_open_the_workbench(client, zone):
    response = client.get("/workbench/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "worklist" not in text(response)


def test_only_officers_open_the_workbench_and_only_clerks_the_window(client, zone):
    client.force_login(zone.applicant)
    assert client.get("/workbench/").status_code == 403
    assert client.get("/window/").status_code == 403
    client.force_login(zone.reviewer)
    assert client.get("/workbench/").status_code == 200
    assert client.get("/window/").status_code == 403
    client.force_login(zone.clerk)
    assert client.get("/window/").status_code == 200


def test_an_applicant_cannot_open_another_applicants_case_or_material(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    material = case.materials.first()
    client.force_login(zone.applicant)
    assert client.get(f"/cases/{case.number}/").status_code == 200
    assert client.get(f"/materials/{material.token}/").status_code == 200
    client.force_login(zone.applicant2)
    for url in (f"/cases/{case.number}/", f"/cases/{case.number}/submitted/", f"/materials/{material.token}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{case.number}/withdraw/").status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    # An uploaded material not yet attached to a case is its owner's alone.
    loose = Material.objects.get(pk=upload_materials(zone.applicant, keys=("articles",))["articles"])
    assert client.get(f"/materials/{loose.token}/").status_code == 404
    # The old sequential address is gone for everyone, the owner included: nothing to enumerate.
    client.force_login(zone.applicant)
    assert client.get(f"/materials/{material.pk}/").status_code == 404
    # "Not yours" and "does not exist" look the same.
    assert client.get("/cases/LY2000010100001/").status_code == 404


def test_reviewer_tax_cannot_see_an_amr_task_page(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    client.force_login(zone.reviewer_tax)
    assert client.get(f"/workbench/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/workbench/tasks/{task.pk}/decision/", {"outcome": "approve"}).status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
    assert case.number not in text(client.get("/workbench/"))
    client.force_login(zone.reviewer)
    assert client.get(f"/workbench/tasks/{task.pk}/").status_code == 200
    # Officers read the case's materials through the task; an officer of another department cannot.
    material = case.materials.first()
    assert client.get(f"/materials/{material.token}/").status_code == 200
    client.force_login(zone.reviewer_tax)
    assert client.get(f"/materials/{material.token}/").status_code == 404


def test_an_officer_does_not_use_the_applicants_status_page(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    client.force_login(zone.reviewer)
    assert client.get(f"/cases/{case.number}/").status_code == 404


# ---------------------------------------------------------------- the applicant's journey


def test_task_list_shows_each_section_and_its_status(client, zone):
    client.force_login(zone.applicant)
    body = text(client.get(f"/apply/{ESTABLISHMENT}/"))
    for key in ("name", "registration", "steps", "seal", "tax", "social_insurance", "housing_fund", "bank"):
        assert f'href="/apply/{ESTABLISHMENT}/{key}/"' in body
    assert "名称申报" in body and 'id="task-materials"' in body
    assert 'id="status-name">' in body and 'href="/apply/QYKB-001/check/"' not in body  # cannot start yet
    fill_sections(client)
    upload_all(client)
    body = text(client.get(f"/apply/{ESTABLISHMENT}/"))
    assert body.count('class="tag ok"') == 9  # eight sections and the materials
    assert 'href="/apply/QYKB-001/check/"' in body


def test_a_section_renders_every_field_type_from_the_catalogue(client, zone):
    client.force_login(zone.applicant)
    name = text(client.get(f"/apply/{ESTABLISHMENT}/name/"))
    assert '<select id="f-division" name="division"' in name  # a division with choices
    assert 'type="radio"' in name and 'name="org_form"' in name  # three choices: radios
    assert '<select id="f-industry" name="industry"' in name  # many choices: a select
    reg = text(client.get(f"/apply/{ESTABLISHMENT}/registration/"))
    assert '<textarea id="f-business_scope"' in reg
    assert 'name="legal_rep_id"' in reg and 'inputmode="decimal"' in reg and 'inputmode="tel"' in reg
    steps = text(client.get(f"/apply/{ESTABLISHMENT}/steps/"))
    assert steps.count('type="checkbox"') == 5 and steps.count(" checked") == 5  # the default: all steps
    bank = text(client.get(f"/apply/{ESTABLISHMENT}/bank/"))
    assert 'type="date"' in bank
    assert client.get(f"/apply/{ESTABLISHMENT}/nonsense/").status_code == 404


def test_section_errors_are_shown_beside_fields_with_a_summary(client, zone):
    client.force_login(zone.applicant)
    values = as_post(application()["registration"])
    values.update({"legal_rep_id": "110105194912310021", "registered_capital": "abc", "address": ""})
    response = client.post(f"/apply/{ESTABLISHMENT}/registration/", values)
    assert response.status_code == 200
    body = text(response)
    assert 'class="error-summary"' in body
    assert 'href="#f-legal_rep_id"' in body and 'href="#f-registered_capital"' in body and 'href="#f-address"' in body
    assert "“注册资本（万元）”应为数字" in body and "请填写“住所”" in body
    assert 'id="f-registered_capital-error"' in body
    # What was typed comes back so it can be corrected; nothing was saved.
    assert 'value="abc"' in body
    assert "registration" not in saved_sections(zone.applicant)


def test_a_saved_id_number_never_comes_back_unmasked(client, zone):
    client.force_login(zone.applicant)
    fill_sections(client)
    body = text(client.get(f"/apply/{ESTABLISHMENT}/registration/"))
    assert ID_NUMBER not in body and "13812345678" not in body
    assert ID_MASK in body and "138****5678" in body
    # The saved draft holds it encrypted, with the mask beside it.
    stored = saved_sections(zone.applicant)["registration"]["legal_rep_id"]
    assert stored["masked"] == ID_MASK and ID_NUMBER not in str(stored)
    # Saving again with the box left blank keeps it; typing a new one replaces it.
    values = as_post(application()["registration"])
    values["legal_rep_id"] = ""
    values["legal_rep_phone"] = ""
    assert client.post(f"/apply/{ESTABLISHMENT}/registration/", values).status_code == 302
    assert ID_MASK in text(client.get(f"/apply/{ESTABLISHMENT}/registration/"))
    check = text(client.get(f"/apply/{ESTABLISHMENT}/check/"))
    assert ID_MASK in check and ID_NUMBER not in check


def test_the_service_check_runs_on_the_section_it_names(client, zone):
    submit(zone.applicant2, trade_name="远航")  # registers 洛阳远航科技有限公司
    client.force_login(zone.applicant)
    values = as_post(application("远航")["name"])
    response = client.post(f"/apply/{ESTABLISHMENT}/name/", values)
    assert response.status_code == 200
    assert "已被登记或预留" in text(response) and 'href="#f-trade_name"' in text(response)


def test_unticking_every_step_is_kept_as_nothing_not_the_default(client, zone):
    client.force_login(zone.applicant)
    fill_sections(client, steps={"selected": []})
    case_data = saved_sections(zone.applicant)["steps"]
    assert case_data == {"selected": []}
    upload_all(client)
    response = send(client)
    case = Case.objects.get(number=response["Location"].split("/")[2])
    assert set(case.tasks.values_list("key", flat=True)) == {"registration"}


def test_full_journey_by_the_test_client(client, zone):
    case = apply_online(client, zone.applicant)
    assert case.status == CaseStatus.DELIVERED  # straight through (秒批)
    assert case.channel == "web" and case.delivery_method == "electronic"
    assert set(case.materials.values_list("key", flat=True)) == {"articles", "id_copy", "premises"}
    confirmation = text(client.get(f"/cases/{case.number}/submitted/"))
    assert case.number in confirmation and 'id="case-number"' in confirmation
    page = text(client.get(f"/cases/{case.number}/"))
    assert "已办结" in page
    identifier = case.outputs[0]["identifier"]
    assert f'href="/licences/{identifier}/"' in page
    assert client.get(f"/licences/{identifier}/").status_code == 200
    # The draft is gone once sent.
    assert not Draft.objects.filter(applicant=zone.applicant).exists()
    listing = text(client.get("/cases/"))
    assert case.number in listing and "已办结" in listing


def test_check_your_answers_shows_masked_answers_and_change_links(client, zone):
    client.force_login(zone.applicant)
    fill_sections(client)
    upload_all(client)
    body = text(client.get(f"/apply/{ESTABLISHMENT}/check/"))
    assert "智远" in body and "洛阳市涧西区" in body and "使用标准章程" in body and "公章刻制" in body
    assert ID_MASK in body and ID_NUMBER not in body and "138****5678" in body
    assert f'href="/apply/{ESTABLISHMENT}/registration/"' in body
    assert "articles.pdf" in body
    assert "data-once" in body and 'name="idempotency_key"' in body
    assert idempotency_key(client.get(f"/apply/{ESTABLISHMENT}/check/")) != idempotency_key(
        client.get(f"/apply/{ESTABLISHMENT}/check/")
    )


def test_a_double_submit_with_the_same_key_creates_one_case(client, zone):
    client.force_login(zone.applicant)
    fill_sections(client)
    upload_all(client)
    check = client.get(f"/apply/{ESTABLISHMENT}/check/")
    key = idempotency_key(check)
    first = client.post(f"/apply/{ESTABLISHMENT}/check/", {"idempotency_key": key, "delivery_method": "electronic"})
    second = client.post(f"/apply/{ESTABLISHMENT}/check/", {"idempotency_key": key, "delivery_method": "electronic"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.filter(applicant=zone.applicant).count() == 1


def test_submit_problems_name_the_field_and_link_to_its_page(client, zone):
    client.force_login(zone.applicant)
    fill_sections(client, trade_name="远航")
    upload_all(client)
    submit(zone.applicant2, trade_name="远航")  # someone else takes the name meanwhile
    response = send(client, delivery="mail", mail_address="")
    assert response.status_code == 422
    body = text(response)
    assert f'href="/apply/{ESTABLISHMENT}/name/#f-trade_name"' in body and "已被登记或预留" in body
    assert 'href="#f-mail_address"' in body and "选择邮寄时请填写邮寄地址" in body
    assert Case.objects.filter(applicant=zone.applicant).count() == 0
    # Nothing accepted is lost: the draft is still there.
    assert "registration" in saved_sections(zone.applicant)


def test_wrong_upload_type_shows_the_bilingual_error(client, zone):
    client.force_login(zone.applicant)
    url = f"/apply/{ESTABLISHMENT}/materials/"
    fake = SimpleUploadedFile("articles.pdf", b"MZ\x90\x00 this is an executable", "application/pdf")
    response = client.post(url, {"file-articles": fake})
    assert response.status_code == 422
    body = text(response)
    assert "只接受 PDF、JPEG 或 PNG 文件" in body and 'href="#m-articles"' in body and 'id="m-articles-error"' in body
    assert not Material.objects.filter(owner=zone.applicant).exists()
    english(client)
    fake = SimpleUploadedFile("articles.pdf", b"MZ\x90\x00 this is an executable", "application/pdf")
    body = text(client.post(url, {"file-articles": fake}))
    assert "Only PDF, JPEG or PNG files are accepted" in body


def test_materials_must_all_be_uploaded_and_can_be_replaced(client, zone):
    client.force_login(zone.applicant)
    url = f"/apply/{ESTABLISHMENT}/materials/"
    response = client.post(url, {"file-articles": SimpleUploadedFile("a.png", png(), "image/png")})
    assert response.status_code == 422
    body = text(response)
    assert 'href="#m-id_copy"' in body and 'href="#m-premises"' in body and "a.png" in body
    upload_all(client)
    body = text(client.get(url))
    assert body.count("articles.pdf") == 1 and "a.png" not in body


# ---------------------------------------------------------------- the case page


def test_case_page_shows_status_dates_and_tasks(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    client.force_login(zone.applicant)
    body = text(client.get(f"/cases/{case.number}/"))
    assert "审核中" in body and case.due_date.isoformat() in body and case.legal_due_date.isoformat() in body
    assert "设立登记" in body and "市场监督管理局" in body
    assert 'id="withdraw-button"' in body and "data-confirm" in body
    assert 'id="rating"' not in body


def test_provisional_due_date_is_marked(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    Case.objects.filter(pk=case.pk).update(due_date_provisional=True)
    client.force_login(zone.applicant)
    english(client)
    assert "provisional" in text(client.get(f"/cases/{case.number}/"))


def test_withdraw(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    client.force_login(zone.applicant)
    response = client.post(f"/cases/{case.number}/withdraw/", {"reason": "不办了"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    body = text(client.get(f"/cases/{case.number}/"))
    assert "已撤回" in body and 'id="withdraw-button"' not in body and 'id="rating"' not in body
    # Withdrawing again is refused, shown on the page.
    response = client.post(f"/cases/{case.number}/withdraw/")
    assert response.status_code == 409 and "不能撤回" in text(response)


def test_corrections_round_trip(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    client.force_login(zone.reviewer)
    response = client.post(f"/workbench/tasks/{task.pk}/decision/", {"outcome": "correct", "reason": ""})
    assert (
        response.status_code == 422 and "必须说明理由" in text(response) and 'href="#decision-reason"' in text(response)
    )
    response = client.post(
        f"/workbench/tasks/{task.pk}/decision/", {"outcome": "correct", "reason": "章程第五条请补充出资方式"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    client.force_login(zone.applicant)
    body = text(client.get(f"/cases/{case.number}/"))
    assert "需要您补正材料" in body and "章程第五条请补充出资方式" in body and 'id="send-correction"' in body
    # A wrong file is refused and nothing moves.
    bad = SimpleUploadedFile("articles.pdf", b"not a pdf", "application/pdf")
    response = client.post(f"/cases/{case.number}/correction/", {"answer": "已补充", "file-articles": bad})
    assert response.status_code == 422 and "只接受 PDF、JPEG 或 PNG 文件" in text(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    good = SimpleUploadedFile("articles-v2.pdf", PDF, "application/pdf")
    response = client.post(f"/cases/{case.number}/correction/", {"answer": "已补充出资方式", "file-articles": good})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert case.materials.filter(original_name="articles-v2.pdf").exists()


def test_rating_rectification_and_follow_up(client, zone):
    case = submit(zone.applicant).case
    client.force_login(zone.applicant)
    body = text(client.get(f"/cases/{case.number}/"))
    assert 'id="rating"' in body and "非常满意" in body and "非常不满意" in body and 'name="named"' in body
    response = client.post(f"/cases/{case.number}/rating/", {"level": "9"})
    assert response.status_code == 422 and "评价等级应为1到5" in text(response)
    response = client.post(f"/cases/{case.number}/rating/", {"level": "2", "comment": "等太久", "named": "1"})
    assert response.status_code == 302
    rating = Rating.objects.get(case=case)
    assert rating.level == 2 and rating.named and rating.rectification is not None
    body = text(client.get(f"/cases/{case.number}/"))
    assert 'id="rating"' not in body and "不满意" in body
    # The department answers on its workbench.
    client.force_login(zone.reviewer)
    task = rating.rectification
    assert case.number in text(client.get("/workbench/"))
    page = text(client.get(f"/workbench/tasks/{task.pk}/"))
    assert 'id="rectify"' in page and "等太久" in page
    assert client.post(f"/workbench/tasks/{task.pk}/rectification/", {"answer": ""}).status_code == 422
    assert client.post(f"/workbench/tasks/{task.pk}/rectification/", {"answer": "已优化窗口流程"}).status_code == 302
    client.force_login(zone.applicant)
    body = text(client.get(f"/cases/{case.number}/"))
    assert "已优化窗口流程" in body and 'id="follow-up"' not in body and 'id="awaiting-verification"' in body
    # 回访核实 by the service centre comes first.
    client.force_login(zone.clerk)
    assert client.post(f"/workbench/ratings/{case.number}/verification/", {"note": ""}).status_code == 422
    assert client.post(f"/workbench/ratings/{case.number}/verification/", {"note": "电话回访已确认"}).status_code == 302
    client.force_login(zone.applicant)
    body = text(client.get(f"/cases/{case.number}/"))
    assert "已优化窗口流程" in body and 'id="follow-up"' in body
    assert client.post(f"/cases/{case.number}/follow-up/", {"level": "4"}).status_code == 302
    rating.refresh_from_db()
    assert rating.follow_up_level == 4
    assert 'id="follow-up"' not in text(client.get(f"/cases/{case.number}/"))


def test_an_anonymous_rating_opens_no_rectification(client, zone):
    case = submit(zone.applicant).case
    client.force_login(zone.applicant)
    assert client.post(f"/cases/{case.number}/rating/", {"level": "1", "comment": ""}).status_code == 302
    rating = Rating.objects.get(case=case)
    assert rating.named is False and rating.rectification is None


# ---------------------------------------------------------------- the workbench


def test_workbench_lists_tasks_with_tabs_filter_and_two_click_approval(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    client.force_login(zone.reviewer)
    body = text(client.get("/workbench/"))
    assert case.number in body and f'id="approve-{task.pk}"' in body and "data-confirm" in body
    assert f'href="/workbench/tasks/{task.pk}/#decision"' in body
    for view in ("open", "due_soon", "overdue", "done"):
        assert client.get(f"/workbench/?view={view}").status_code == 200
    assert case.number not in text(client.get("/workbench/?view=done"))
    assert case.number not in text(client.get("/workbench/?service=OTHER-1"))
    assert case.number in text(client.get(f"/workbench/?service={ESTABLISHMENT}"))
    # The task page: masked data, materials, why 秒批 did not apply, history.
    page = text(client.get(f"/workbench/tasks/{task.pk}/"))
    assert ID_MASK in page and ID_NUMBER not in page
    assert "使用自拟章程，需人工审查" in page
    assert page.count('href="/materials/') == 3
    assert "提交申请" in page  # the case history
    # Approve: one post from the list (the second click is the confirmation).
    response = client.post(
        f"/workbench/tasks/{task.pk}/decision/", {"outcome": "approve", "next": "/workbench/?view=open"}
    )
    assert response.status_code == 302 and response["Location"] == "/workbench/?view=open"
    task.refresh_from_db()
    assert task.status == Task.Status.APPROVED
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED
    assert case.number in text(client.get("/workbench/?view=done"))
    # A second approval is refused, and says so.
    response = client.post(f"/workbench/tasks/{task.pk}/decision/", {"outcome": "approve"}, follow=True)
    assert "该任务已经处理过了" in text(response)


def test_a_foreign_next_is_not_followed(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    client.force_login(zone.reviewer)
    response = client.post(
        f"/workbench/tasks/{task.pk}/decision/", {"outcome": "approve", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/workbench/"


def test_refusal_needs_a_reason(client, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    client.force_login(zone.reviewer)
    response = client.post(f"/workbench/tasks/{task.pk}/decision/", {"outcome": "refuse"})
    assert response.status_code == 422 and "必须说明理由" in text(response)
    response = client.post(
        f"/workbench/tasks/{task.pk}/decision/", {"outcome": "refuse", "reason": "经营范围涉及前置许可"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED
    client.force_login(zone.applicant)
    body = text(client.get(f"/cases/{case.number}/"))
    assert "不予许可" in body and "经营范围涉及前置许可" in body


def test_overdue_tasks_are_red_and_escalated_flagged(client, zone):
    from datetime import timedelta

    from django.utils import timezone

    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    Task.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - timedelta(days=3), escalated=True)
    client.force_login(zone.reviewer)
    body = text(client.get("/workbench/?view=overdue"))
    assert case.number in body and 'class="overdue"' in body and 'class="tag bad"' in body


def test_intake_tasks_show_to_clerks(client, zone):
    case = submit(zone.applicant, materials=upload_materials(zone.applicant, keys=("articles", "id_copy"))).case
    intake = case.tasks.get(key="intake")
    client.force_login(zone.reviewer)
    assert case.number not in text(client.get("/workbench/"))
    client.force_login(zone.clerk)
    body = text(client.get("/workbench/"))
    assert case.number in body and f'id="approve-{intake.pk}"' in body
    page = text(client.get(f"/workbench/tasks/{intake.pk}/"))
    assert 'value="correct"' not in page  # intake: accept or reject
    response = client.post(f"/workbench/tasks/{intake.pk}/decision/", {"outcome": "refuse", "reason": "缺少住所证明"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED


# ---------------------------------------------------------------- the window


def test_window_records_the_handover(client, zone):
    case = submit(zone.applicant, trade_name="洛水", registration={"articles": "custom"}).case
    Case.objects.filter(pk=case.pk).update(
        delivery_method="mail", mail_address="洛阳市涧西区天津路1号 李明 13812345678"
    )
    services.decide(case.tasks.get(key="registration").pk, zone.reviewer, "approve")
    case.refresh_from_db()
    assert case.status == CaseStatus.ISSUED
    client.force_login(zone.clerk)
    body = text(client.get("/window/"))
    assert case.number in body and "洛阳市涧西区天津路1号" in body
    response = client.post(f"/window/{case.number}/delivery/", {"method": "mail", "tracking_number": "x"})
    assert response.status_code == 422 and "运单号" in text(response)
    response = client.post(f"/window/{case.number}/delivery/", {"method": "mail", "tracking_number": "sf1234567890"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED and case.tracking_number == "SF1234567890"
    body = text(client.get("/window/"))
    assert f'id="handover-{case.number}"' not in body and "SF1234567890" in body  # the message says what was done
    client.force_login(zone.applicant)
    body = text(client.get(f"/cases/{case.number}/"))
    assert "已办结" in body and "SF1234567890" in body


# ---------------------------------------------------------------- any service, not just starting a company

EVERY_TYPE = {
    "code": "TEST-ALL",
    "name_zh": "全字段测试事项",
    "name_en": "Every field type",
    "department": "AMR",
    "legal_limit_days": 20,
    "promised_limit_days": 0,
    "guide_zh": "测试",
    "guide_en": "test",
    "materials": [],
    "checks": [],
    "form": {
        "sections": [
            {
                "key": "one",
                "title_zh": "第一部分",
                "title_en": "Part one",
                "fields": [
                    {
                        "key": "title",
                        "type": "text",
                        "label_zh": "标题",
                        "label_en": "Title",
                        "required": True,
                        "max_length": 20,
                    },
                    {"key": "notes", "type": "textarea", "label_zh": "说明", "label_en": "Notes"},
                    {"key": "count", "type": "int", "label_zh": "数量", "label_en": "Count", "min": 1, "max": 9},
                    {"key": "amount", "type": "decimal", "label_zh": "金额", "label_en": "Amount"},
                    {"key": "on", "type": "date", "label_zh": "日期", "label_en": "Date"},
                    {
                        "key": "agree",
                        "type": "bool",
                        "label_zh": "我承诺所填属实",
                        "label_en": "I confirm",
                        "required": True,
                    },
                    {
                        "key": "newsletter",
                        "type": "bool",
                        "label_zh": "订阅通知",
                        "label_en": "Newsletter",
                        "default": True,
                    },
                ],
            },
            {
                "key": "two",
                "title_zh": "第二部分",
                "title_en": "Part two",
                "fields": [
                    {
                        "key": "size",
                        "type": "choice",
                        "label_zh": "规模",
                        "label_en": "Size",
                        "required": True,
                        "choices": [["s", "小", "Small"], ["l", "大", "Large"]],
                    },
                    {
                        "key": "colour",
                        "type": "choice",
                        "label_zh": "颜色",
                        "label_en": "Colour",
                        "choices": [
                            ["c1", "红", "Red"],
                            ["c2", "橙", "Orange"],
                            ["c3", "黄", "Yellow"],
                            ["c4", "绿", "Green"],
                            ["c5", "蓝", "Blue"],
                            ["c6", "紫", "Purple"],
                        ],
                    },
                    {
                        "key": "tags",
                        "type": "multichoice",
                        "label_zh": "标签",
                        "label_en": "Tags",
                        "choices": [["a", "甲", "A"], ["b", "乙", "B"]],
                    },
                    {
                        "key": "person",
                        "type": "id_number",
                        "label_zh": "身份证号",
                        "label_en": "ID number",
                        "required": True,
                    },
                    {"key": "tel", "type": "phone", "label_zh": "电话", "label_en": "Phone"},
                    {"key": "company", "type": "uscc", "label_zh": "信用代码", "label_en": "USCC"},
                    {"key": "area", "type": "division", "label_zh": "区划代码", "label_en": "Division"},
                ],
            },
        ]
    },
    "process": {
        "stages": [
            {
                "key": "review",
                "type": "review",
                "tasks": [{"key": "check", "department": "AMR", "name_zh": "审查", "name_en": "Check"}],
            },
            {"key": "issue", "type": "issue", "outputs": []},
        ]
    },
}


def test_the_journey_is_generic_for_any_catalogue_service(client, zone):
    from zimao.catalog.services import load_catalogue

    load_catalogue({"services": [EVERY_TYPE]})
    client.force_login(zone.applicant)
    guide = text(client.get("/services/TEST-ALL/"))
    assert "全字段测试事项" in guide and ("当日" in guide or "the same day" in guide)
    tasks = text(client.get("/apply/TEST-ALL/"))
    assert 'id="task-one"' in tasks and 'id="task-two"' in tasks and 'id="task-materials"' not in tasks
    one = text(client.get("/apply/TEST-ALL/one/"))
    assert '<textarea id="f-notes"' in one and 'type="date"' in one and 'inputmode="numeric"' in one
    assert (
        'id="f-agree" name="agree" value="true"' in one
        and 'id="f-newsletter" name="newsletter" value="true" checked' in one
    )
    # A box that must be ticked, left unticked, is an error; an optional one unticked is "no".
    response = client.post("/apply/TEST-ALL/one/", {"title": "测试", "count": "12"})
    body = text(response)
    assert 'href="#f-agree"' in body and 'href="#f-count"' in body and "“数量”不能大于 9" in body
    assert (
        client.post(
            "/apply/TEST-ALL/one/",
            {"title": "测试", "count": "3", "amount": "1.50", "on": "2026-12-01", "agree": "true"},
        ).status_code
        == 302
    )
    two = text(client.get("/apply/TEST-ALL/two/"))
    assert two.count('type="radio"') == 2 and '<select id="f-colour"' in two and two.count('type="checkbox"') == 2
    assert '<input id="f-area" name="area" type="text"' in two  # a division without choices: a code
    response = client.post(
        "/apply/TEST-ALL/two/", {"size": "s", "person": ID_NUMBER, "company": "not-a-uscc", "area": "999999"}
    )
    assert 'href="#f-company"' in text(response) and 'href="#f-area"' in text(response)
    assert (
        client.post(
            "/apply/TEST-ALL/two/",
            {
                "size": "l",
                "colour": "c5",
                "tags": ["b"],
                "person": ID_NUMBER,
                "tel": "0379-62345678",
                "company": "91350100M000100Y43",
                "area": "410305",
            },
        ).status_code
        == 302
    )
    check = client.get("/apply/TEST-ALL/check/")
    body = text(check)
    assert "大" in body and "蓝" in body and "乙" in body and ID_MASK in body and ID_NUMBER not in body
    assert "是" in body or "Yes" in body
    response = client.post(
        "/apply/TEST-ALL/check/", {"idempotency_key": idempotency_key(check), "delivery_method": "electronic"}
    )
    assert response.status_code == 302
    case = Case.objects.get(applicant=zone.applicant, service__code="TEST-ALL")
    assert case.data["one"]["agree"] is True and case.data["one"]["newsletter"] is False
    assert case.data["one"]["count"] == 3 and case.data["two"]["tags"] == ["b"]
    assert case.data["two"]["person"]["masked"] == ID_MASK
    assert case.status == CaseStatus.IN_REVIEW
    client.force_login(zone.reviewer)
    assert case.number in text(client.get("/workbench/?service=TEST-ALL"))


def test_a_service_that_takes_no_applications_has_no_start_button(client, zone):
    from zimao.catalog.services import load_catalogue

    abolished = {**EVERY_TYPE, "code": "TEST-GONE", "reform_mode": "cancelled", "form": {"sections": []}}
    load_catalogue({"services": [abolished]})
    body = text(client.get("/services/TEST-GONE/"))
    assert 'id="start"' not in body and 'id="abolished"' in body and "How long it takes" not in body
    client.force_login(zone.applicant)
    assert client.get("/apply/TEST-GONE/")["Location"] == "/services/TEST-GONE/"


def test_register_keeps_where_the_applicant_was_going(client, zone):
    data = {
        "username": "newco2",
        "first_name": "王五",
        "id_number": "110105198001010024",
        "password1": "Zimao-secure-2026",
        "password2": "Zimao-secure-2026",
    }
    response = client.post(f"/register/?next=/apply/{ESTABLISHMENT}/", data)
    assert response["Location"] == f"/login/?next=%2Fapply%2F{ESTABLISHMENT}%2F"
    data["username"], data["id_number"] = "newco3", "320102198505050038"
    assert client.post("/register/?next=https://evil.example/", data)["Location"] == "/login/"
    response = client.post(
        f"/login/?next=/apply/{ESTABLISHMENT}/",
        {"username": "newco2", "password": "Zimao-secure-2026", "next": f"/apply/{ESTABLISHMENT}/"},
    )
    assert response["Location"] == f"/apply/{ESTABLISHMENT}/"
