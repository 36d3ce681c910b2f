"""The bonded part of the demo zone — 综保区演示数据: a zone logistics enterprise with a warehouse
book and three recorded items, its warehouse operator, a customs officer of the zone and a gate
keeper. Idempotent; called from ``zimao.web.demo.load``. The USCC is generated (demo)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

USERS = [
    # (username, first name, group or None for the operator)
    ("warehouse", "孙仓管", None),
    ("customs_bonded", "钱关员", "bonded_customs"),
    ("gate", "赵卡口", "bonded_gate"),
]
ENTERPRISE = {"name": "洛阳综保供应链管理有限公司", "customs_code": "4101340001"}
CUSTOMS_DISTRICT = "4101"  # demo district code of the zone's supervising customs (a setting in a real zone)
ITEMS = [
    {
        "part_no": "PP-001",
        "hs_code": "3902100000",
        "description": "聚丙烯粒料 Polypropylene pellets",
        "unit": "035",
        "unit_price": "1.20",
        "currency": "USD",
        "origin_country": "116",
    },
    {
        "part_no": "WINE-01",
        "hs_code": "2204210000",
        "description": "葡萄酒 Wine, 750 ml",
        "unit": "095",
        "unit_price": "80.00",
        "currency": "EUR",
        "origin_country": "305",
    },
    {
        "part_no": "CHIP-01",
        "hs_code": "8542319000",
        "description": "集成电路 Integrated circuits",
        "unit": "007",
        "unit_price": "3.50",
        "currency": "USD",
        "origin_country": "133",
    },
]


@transaction.atomic
def load(password: str) -> dict:
    """``password``: the demo accounts' password, which the zone's demo (web) owns."""
    from zimao.bonded import services as bonded
    from zimao.bonded.models import BondedEnterprise
    from zimao.registry.services import register_demo_entity

    User = get_user_model()
    users = {}
    for username, first_name, group in USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": first_name})
        if created:
            user.set_password(password)
            user.save()
        if group:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        users[username] = user
    entity = register_demo_entity(
        name=ENTERPRISE["name"],
        division="410300",
        org_form="有限公司",
        industry="物流",
        established_on=date(2022, 3, 1),
    )
    if entity.applicant_id is None:  # the operator acts for the company (its declarations, its trade)
        entity.applicant = users["warehouse"]
        entity.save(update_fields=["applicant"])
    ent = BondedEnterprise.objects.filter(uscc=entity.uscc).first() or bonded.register_enterprise(
        users["customs_bonded"],
        uscc=entity.uscc,
        customs_code=ENTERPRISE["customs_code"],
        name=ENTERPRISE["name"],
        operators=[users["warehouse"]],
    )
    book = ent.books.filter(kind="T").first() or bonded.open_book(
        users["customs_bonded"], enterprise=ent, kind="T", warehouse="1号保税仓库", customs_district=CUSTOMS_DISTRICT
    )
    for item in ITEMS:
        bonded.add_item(users["customs_bonded"], book, item)
    return {"bonded_book": book.number}
