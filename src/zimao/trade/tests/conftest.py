"""Fixtures for the trade tests: the demo zone plus the issuing body, customs and two exporters."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Argon2 costs ~0.4 s a user on this machine; the demo users' hashes are not what is tested."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def trade(zone):
    """``zone`` + CCPIT/CUSTOMS reviewers, an exporter company per applicant and this month's USD rate."""
    from django.contrib.auth import get_user_model

    from zimao.registry.services import register_demo_entity
    from zimao.trade import demo
    from zimao.trade.models import ExchangeRate
    from zimao.web.demo import DEMO_PASSWORD

    demo.load(password=DEMO_PASSWORD)
    users = {u.username: u for u in get_user_model().objects.all()}
    exporter = register_demo_entity(**demo.DEMO_EXPORTER, established_on=timezone.localdate().replace(year=2019))
    other = register_demo_entity(
        name="洛阳恒泰贸易有限公司",
        org_form="有限公司",
        industry="贸易",
        division="410300",
        established_on=timezone.localdate().replace(year=2020),
    )
    other.applicant = users["applicant2"]
    other.save(update_fields=["applicant"])
    ExchangeRate.objects.create(
        currency="USD", month=timezone.localdate().replace(day=1), cny_per_unit=Decimal("7.1000"), source="test"
    )
    return SimpleNamespace(
        **users,
        exporter=exporter,
        other=other,
        password=DEMO_PASSWORD,
        coo=users["reviewer_coo"],
        customs=users["reviewer_customs"],
    )
