"""A bonded-warehouse operator's day, in the browser: goods in from abroad, part of them sold into
the domestic market with a customs declaration, the truck released at the gate, the month
reconciled and exported — with customs and the gate keeper doing their part."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "zimao-demo-2026"


def log_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#logout")).to_be_visible()


def log_out(page):
    page.click("#logout")
    expect(page.locator("#nav-login")).to_be_visible()


def declare(page, book, movement, internal_no, seq, qty, declaration=""):
    page.goto(f"/bonded/books/{book}/")
    page.select_option("#f-movement", movement)
    page.fill("#f-internal_no", internal_no)
    if declaration:
        page.fill("#f-declaration_number", declaration)
    page.select_option("#f-item_seq-0", str(seq))
    page.fill("#f-quantity-0", qty)
    page.click("#declare-submit")
    expect(page.locator("#list-number")).to_be_visible()
    return page.locator("#list-number").inner_text()


def accept(page, number):
    page.goto("/bonded/")
    page.click(f"text={number}")
    page.check("#f-outcome")
    page.click("#review-submit")
    expect(page.locator("#list-status")).to_contain_text("审核通过")


def release_and_pass(page, browser, live_server, book, number, plate):
    page.goto(f"/bonded/books/{book}/")
    page.fill("#f-plate", plate)
    page.check(f"#f-list-{number}")
    page.click("#release-submit")
    expect(page.locator("#release-number")).to_be_visible()
    assert page.locator(".qr svg").count() == 1
    gate_url = page.locator("#gate-link").get_attribute("href")
    # The gate keeper scans the QR code on another device.
    gate = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    log_in(gate, "gate")
    gate.goto(gate_url)
    expect(gate.locator("#gate-status")).to_contain_text("可以放行")
    assert_accessible(gate, context="gate")
    gate.click("#gate-pass")
    expect(gate.locator("#gate-status")).to_contain_text("已过卡")
    gate.context.close()


def test_a_warehouse_operators_day(page, browser, live_server, settings, tmp_path):
    from zimao.bonded.models import AccountBook, BookItem
    from zimao.core import calendar
    from zimao.trade.models import ExchangeRate
    from zimao.trade.window import services as window
    from zimao.web import demo

    settings.ZIMAO_TRADE_SANDBOX = {
        "seed": 3,
        "default": {"outage_rate": 0, "reject_rate": 0, "min_delay": 0, "max_delay": 0, "fail_first": 0},
    }
    calendar.seed_from_package()
    demo.load()
    from django.utils import timezone

    ExchangeRate.objects.get_or_create(
        currency="USD", month=timezone.localdate().replace(day=1), defaults={"cny_per_unit": "7.1", "source": "test"}
    )
    book = AccountBook.objects.get(kind="T").number
    pellets = BookItem.objects.get(book__number=book, part_no="PP-001").seq

    # 1. Goods in from abroad: declared by the operator, accepted by customs, through the gate.
    log_in(page, "warehouse")
    page.goto("/bonded/")
    assert_accessible(page, context="operator home")
    page.click(f"text={book}")
    assert_accessible(page, context="book")
    page.click("#declare-submit")  # an empty form: errors name the fields
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page, context="book with errors")
    number_in = declare(page, book, "import_abroad", "WMS-IN-1", pellets, "20000")
    assert_accessible(page, context="list")
    log_out(page)
    log_in(page, "customs_bonded")
    page.goto("/bonded/")
    assert_accessible(page, context="customs home")
    accept(page, number_in)
    log_out(page)
    log_in(page, "warehouse")
    release_and_pass(page, browser, live_server, book, number_in, "豫C12345")
    page.goto(f"/bonded/books/{book}/")
    expect(page.locator(f"#item-{pellets}")).to_contain_text("20000")

    # 2. Part sold into the domestic market: the declaration through the single window first.
    from django.contrib.auth import get_user_model

    operator = get_user_model().objects.get(username="warehouse")
    uscc = operator.market_entities.first().uscc if hasattr(operator, "market_entities") else None
    if uscc is None:
        from zimao.registry.services import entities_of

        uscc = entities_of(operator).first().uscc
    decl = window.declare(
        operator,
        {
            "trader_uscc": uscc,
            "direction": "import",
            "destination_country": "CN",
            "bonded_zone": True,
            "consignee": {"name": "洛阳某塑料制品厂", "address": "洛阳市涧西区"},
            "transport": {
                "mode": "road",
                "departure_date": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
                "vessel": "豫C12345",
                "port_of_loading": "Luoyang CBZ",
                "port_of_discharge": "Luoyang",
            },
            "currency": "USD",
            "invoice": {"number": "DOM-001", "date": timezone.localdate().isoformat()},
            "goods": [
                {
                    "hs": "3902100000",
                    "description": "Polypropylene pellets",
                    "quantity": "3000",
                    "unit": "KG",
                    "value": "3600.00",
                }
            ],
        },
    )
    number_out = declare(page, book, "domestic_out", "WMS-OUT-1", pellets, "3000", declaration=decl.number)
    log_out(page)
    log_in(page, "customs_bonded")
    accept(page, number_out)
    log_out(page)
    log_in(page, "warehouse")
    release_and_pass(page, browser, live_server, book, number_out, "豫C54321")

    # 3. The month reconciled and exported.
    page.goto(f"/bonded/books/{book}/")
    page.click("#reconcile-link")
    expect(page.locator(f"#rec-{pellets}")).to_contain_text("17000")
    assert_accessible(page, context="reconciliation")
    with page.expect_download() as download:
        page.click("#export")
    path = tmp_path / "reconciliation.xlsx"
    download.value.save_as(path)
    from openpyxl import load_workbook

    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    row = next(r for r in rows[1:] if r[0] == pellets)
    assert (row[3], row[4], row[5], row[-2], row[-1]) == (0, 20000, -3000, 17000, "是 yes")
