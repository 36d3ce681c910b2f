"""Counter intake (前台综合受理) in a real browser: the window clerk logs in and lands on the
workbench, opens an account for a walk-in applicant, fills the establishment form and scans the
materials for them; the applicant's phone gets a code (read from the SMS sandbox) and confirms;
the reviewer finds the case on the workbench and approves it; the clerk hands the licence over at
the window; the applicant claims the account by phone and follows the case online, its history
saying who filed it (代办). Every new page passes axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_accessible
from zimao.core.sms import sandbox_messages
from zimao.testing import ESTABLISHMENT, PDF, appointment_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "zimao-demo-2026"
NEW_PASSWORD = "Zimao-secure-2026"
WALK_IN_ID = "440524188001010014"
WALK_IN_PHONE = "13912345678"


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    expect(page.locator("#logout")).to_be_visible()


def log_out(page) -> None:
    page.click("#logout")
    expect(page.locator("#nav-login")).to_be_visible()


def last_code(phone: str, purpose: str) -> str:
    return re.search(r"\d{6}", sandbox_messages(to=phone, purpose=purpose).first().text).group(0)


def fill_the_form_for_them(page, tmp_path) -> None:
    tasks = re.compile(r".*/window/intake/[0-9a-f-]{36}/$")
    expect(page).to_have_url(tasks)
    assert_accessible(page, context="intake task list")
    page.click("#task-name")
    assert_accessible(page, context="intake section")
    page.select_option("#f-division", "410305")
    page.fill("#f-trade_name", "柜台")
    page.select_option("#f-industry", "科技")
    page.check("#f-org_form")
    page.click("#save-section")
    expect(page).to_have_url(tasks)
    page.click("#task-registration")
    page.fill("#f-registered_capital", "50")
    page.fill("#f-address", "洛阳市涧西区天津路2号")
    page.fill("#f-business_scope", "软件开发")
    page.fill("#f-legal_rep_name", "赵六")
    page.fill("#f-legal_rep_id", WALK_IN_ID)
    page.fill("#f-legal_rep_phone", WALK_IN_PHONE)
    page.check("#f-articles-1")  # their own articles: a reviewer decides
    page.click("#save-section")
    expect(page).to_have_url(tasks)
    for key in ("steps", "seal", "tax", "social_insurance", "housing_fund"):
        page.click(f"#task-{key}")
        page.click("#save-section")
        expect(page).to_have_url(tasks)
    page.click("#task-bank")
    page.fill("#f-appointment_date", appointment_date())
    page.click("#save-section")
    expect(page).to_have_url(tasks)
    page.click("#task-materials")
    assert_accessible(page, context="intake materials")
    for key in ("articles", "id_copy", "premises"):
        path = tmp_path / f"{key}.pdf"
        path.write_bytes(PDF)
        page.set_input_files(f"#m-{key}", str(path))
    page.click("#save-materials")
    expect(page.locator("#status-materials")).to_have_class(re.compile(r"\bok\b"))


def test_a_walk_in_applies_at_the_counter_and_follows_the_case_online(page, zone, tmp_path):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "clerk")
    expect(page).to_have_url(re.compile(r".*/workbench/$"))  # officers land on their workbench

    page.click("[data-nav='intake']")
    assert_accessible(page, context="intake find")
    page.fill("#f-id_number", WALK_IN_ID)
    page.click("#find-applicant")
    expect(page.locator("#no-account")).to_contain_text("4405**********0014")
    assert_accessible(page, context="intake new account")
    page.fill("#f-name", "赵六")
    page.fill("#f-phone", WALK_IN_PHONE)
    page.click("#open-account")
    expect(page.locator("#applicant-id")).to_have_text("4405**********0014")
    expect(page.locator("#applicant-phone")).to_have_text("139****5678")
    expect(page.locator("main")).not_to_contain_text(WALK_IN_ID)
    assert_accessible(page, context="intake applicant found")
    page.select_option("#f-service", ESTABLISHMENT)
    page.click("#start-intake")

    fill_the_form_for_them(page, tmp_path)
    page.click("#task-check")
    expect(page.locator("main")).to_contain_text("4405**********0014")
    expect(page.locator("main")).not_to_contain_text(WALK_IN_ID)
    assert_accessible(page, context="intake check")
    page.check("#f-delivery_method")  # collect at the window
    page.click("#send-code")
    expect(page).to_have_url(re.compile(r".*/confirm/$"))
    assert_accessible(page, context="intake confirm")

    # The applicant reads the code on their phone (the SMS sandbox) and gives it.
    page.fill("#f-code", last_code(WALK_IN_PHONE, "intake.confirm"))
    page.click("#confirm-code")
    expect(page).to_have_url(re.compile(r".*/done/$"))
    assert_accessible(page, context="intake done")
    number = page.locator("#case-number").inner_text().strip()
    expect(page.locator("#case-status")).to_have_text("审核中")
    log_out(page)

    # The reviewer lands on the workbench and approves it there.
    log_in(page, "reviewer")
    expect(page).to_have_url(re.compile(r".*/workbench/$"))
    row = page.locator(f"tr[data-case='{number}']")
    expect(row).to_be_visible()
    row.locator("button[id^='approve-']").click()
    expect(page.locator(".messages")).to_contain_text(number)
    log_out(page)

    # The clerk hands the paper licence over at the window.
    log_in(page, "clerk")
    page.goto("/window/")
    page.click(f"#deliver-{number}")
    expect(page.locator(f"#handover-{number}")).to_have_count(0)
    log_out(page)

    # The applicant claims the account with their phone and follows the case online.
    page.goto("/login/")
    page.click("#claim-link")
    assert_accessible(page, context="claim")
    page.fill("#c-id_number", WALK_IN_ID)
    page.fill("#c-phone", WALK_IN_PHONE)
    page.click("#claim-send")
    expect(page.locator("#claim-sent")).to_be_visible()
    assert_accessible(page, context="claim code")
    page.fill("#id_code", last_code(WALK_IN_PHONE, "account.claim"))
    page.fill("#id_username", "zhaoliu")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#claim-submit")
    expect(page).to_have_url(re.compile(r".*/login/$"))
    log_in(page, "zhaoliu", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r".*/cases/$"))  # applicants land on their applications
    page.click(f"a[href='/cases/{number}/']")
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.locator("main")).to_contain_text("由窗口工作人员赵敏代办")
    assert page.console_errors == []


def test_an_account_registered_online_without_identity_number_gets_it_at_the_window(page, zone):
    """Registering online now asks for the identity number (a taken one is refused beside its
    field); an older account without one is found at the window by phone, and the number is
    added with the code sent to that phone. axe-core on each changed page state."""
    from django.contrib.auth import get_user_model

    from zimao.web.intake import phone_fields
    from zimao.web.models import Profile

    page.goto("/register/")
    page.fill("#id_username", "someone")
    page.fill("#id_first_name", "钱二")
    page.fill("#id_id_number", "11010519491231002X")  # the demo applicant's
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#register-submit")
    expect(page.locator("#id_id_number-error")).to_contain_text("该身份证号码不能用于开立新账户")
    assert_accessible(page, context="register, identity number taken")

    early = get_user_model().objects.create_user("early", password=NEW_PASSWORD, first_name="孙小美")
    Profile.objects.create(user=early, **phone_fields("13712345678"))
    log_in(page, "clerk")
    page.click("[data-nav='intake']")
    page.fill("#f-id_number", "440524199001010018")
    page.click("#find-applicant")
    page.fill("#f-find_phone", "13712345678")
    page.click("#find-by-phone")
    expect(page.locator("#phone-accounts")).to_contain_text("孙**")
    expect(page.locator("#phone-accounts")).to_contain_text("137****5678")
    assert_accessible(page, context="intake accounts found by phone")
    page.click("#send-attach-1")
    expect(page.locator("#attach-sent")).to_be_visible()
    assert_accessible(page, context="intake attach code")
    page.fill("#f-code", last_code("13712345678", "intake.attach"))
    page.click("#attach-id")
    expect(page.locator("#applicant-id")).to_have_text("4405**********0018")
    assert page.console_errors == []


def test_a_hong_kong_resident_registers_with_a_travel_permit_and_a_walk_in_with_a_residence_permit(page, zone):
    """The identity document type (证件类型): registering with a travel permit needs its number
    (refused beside the field when empty), the account page shows type and masked number; at the
    window a residence permit holder is found by type and number and gets an account. axe-core
    on each new page state."""
    page.goto("/register/")
    assert_accessible(page, context="register with document type")
    page.fill("#id_username", "chan-taiman")
    page.fill("#id_first_name", "陈大文")
    page.select_option("#id_id_type", "hm_permit")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#register-submit")
    expect(page.locator("#id_id_number-error")).to_contain_text("请填写港澳居民来往内地通行证号码")
    expect(page.locator("#id_id_type")).to_have_value("hm_permit")
    assert_accessible(page, context="register, travel permit number missing")
    page.fill("#id_id_number", "H1234567(8)")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#register-submit")
    expect(page).to_have_url(re.compile(r".*/login/"))
    log_in(page, "chan-taiman", NEW_PASSWORD)
    page.click("[data-nav='account']")
    expect(page.locator("#account-id-type")).to_have_text("港澳居民来往内地通行证")
    expect(page.locator("#account-id")).to_have_text("H******78")
    assert_accessible(page, context="account page")
    log_out(page)

    log_in(page, "clerk")
    page.click("[data-nav='intake']")
    page.select_option("#f-id_type", "hmt_residence")
    page.fill("#f-id_number", "440524188001010014")  # a mainland number is not a residence permit
    page.click("#find-applicant")
    expect(page.locator("#f-id_number-error")).to_contain_text("810000")
    expect(page.locator("#f-id_type")).to_have_value("hmt_residence")
    assert_accessible(page, context="intake find, wrong residence permit number")
    page.fill("#f-id_number", "810000199001010019")
    page.click("#find-applicant")
    expect(page.locator("#no-account")).to_contain_text("港澳台居民居住证")
    expect(page.locator("#no-account")).to_contain_text("8100**********0019")
    assert_accessible(page, context="intake new account, residence permit")
    page.fill("#f-name", "何美玲")
    page.fill("#f-phone", "13512345678")
    page.click("#open-account")
    expect(page.locator("#applicant-id-type")).to_have_text("港澳台居民居住证")
    expect(page.locator("#applicant-id")).to_have_text("8100**********0019")
    expect(page.locator("main")).not_to_contain_text("810000199001010019")
    assert_accessible(page, context="intake applicant found, residence permit")
    page.click("#other-applicant")
    page.select_option("#f-id_type", "hm_permit")
    page.fill("#f-id_number", "H12345678")
    page.click("#find-applicant")
    expect(page.locator("#applicant-name")).to_have_text("陈大文")
    assert page.console_errors == []
