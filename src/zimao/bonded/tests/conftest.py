"""Fixtures for the bonded-zone tests: an enterprise with a logistics and a processing book, its
operator, a second enterprise's operator, a customs officer and a gate keeper."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from zimao.bonded import services as bonded
from zimao.bonded.access import CUSTOMS_GROUP, GATE_GROUP
from zimao.core.identifiers import issue_uscc


def _user(name: str, *groups: str):
    user = get_user_model().objects.create_user(name, password="pw-for-tests-only")
    for g in groups:
        user.groups.add(Group.objects.get_or_create(name=g)[0])
    return user


@pytest.fixture
def bz(db, settings):
    """The bonded zone of a test: books, items and people."""
    return build(settings)


def build(settings):
    from zimao.trade.models import ExchangeRate

    settings.ZIMAO_TRADE_SANDBOX = {
        "seed": 5,
        "default": {"outage_rate": 0, "reject_rate": 0, "min_delay": 0, "max_delay": 0, "fail_first": 0},
    }
    operator, other_operator = _user("bz_operator"), _user("bz_other")
    customs, gate = _user("bz_customs", CUSTOMS_GROUP), _user("bz_gate", GATE_GROUP)
    ent = bonded.register_enterprise(
        customs,
        uscc=issue_uscc("410300"),
        customs_code="4101340001",
        name="洛阳综保供应链有限公司",
        operators=[operator],
    )
    other = bonded.register_enterprise(
        customs,
        uscc=issue_uscc("410300"),
        customs_code="4101340002",
        name="洛阳保税物流有限公司",
        operators=[other_operator],
    )
    book = bonded.open_book(customs, enterprise=ent, kind="T", warehouse="1号保税仓库", customs_district="4101")
    plant = bonded.open_book(customs, enterprise=ent, kind="H", warehouse="加工车间", customs_district="4101")
    other_book = bonded.open_book(customs, enterprise=other, kind="T", warehouse="2号保税仓库", customs_district="4101")
    pellets = bonded.add_item(
        customs,
        book,
        {
            "part_no": "PP-001",
            "hs_code": "3902100000",
            "description": "聚丙烯粒料",
            "unit": "035",
            "unit_price": "1.20",
            "currency": "USD",
            "origin_country": "116",
        },
    )
    wine = bonded.add_item(
        customs,
        book,
        {
            "part_no": "WINE-01",
            "hs_code": "2204210000",
            "description": "葡萄酒",
            "unit": "095",
            "unit_price": "80.00",
            "currency": "EUR",
            "origin_country": "305",
        },
    )
    chips = bonded.add_item(
        customs,
        book,
        {
            "part_no": "CHIP-01",
            "hs_code": "8542319000",
            "description": "集成电路",
            "unit": "007",
            "unit_price": "3.50",
            "currency": "USD",
            "origin_country": "133",
        },
    )
    other_pellets = bonded.add_item(
        customs,
        other_book,
        {
            "part_no": "PP-X",
            "hs_code": "3902100000",
            "description": "聚丙烯粒料",
            "unit": "035",
            "unit_price": "1.20",
            "currency": "USD",
            "origin_country": "116",
        },
    )
    material = bonded.add_item(
        customs,
        plant,
        {
            "part_no": "PP-M",
            "hs_code": "3902100000",
            "description": "聚丙烯粒料",
            "unit": "035",
            "unit_price": "1.20",
            "currency": "USD",
            "origin_country": "116",
        },
    )
    box = bonded.add_item(
        customs,
        plant,
        {
            "part_no": "BOX-1",
            "hs_code": "3923100000",
            "description": "塑料周转箱",
            "unit": "007",
            "unit_price": "1.80",
            "currency": "USD",
            "origin_country": "142",
            "kind": "E",
        },
    )
    ExchangeRate.objects.create(
        currency="USD", month=timezone.localdate().replace(day=1), cny_per_unit=Decimal("7.1000"), source="test"
    )
    return SimpleNamespace(
        operator=operator,
        other_operator=other_operator,
        customs=customs,
        gate=gate,
        ent=ent,
        other=other,
        book=book,
        plant=plant,
        other_book=other_book,
        pellets=pellets,
        wine=wine,
        chips=chips,
        other_pellets=other_pellets,
        material=material,
        box=box,
    )
