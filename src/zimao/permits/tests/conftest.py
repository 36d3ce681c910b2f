"""Fixtures for the permit tests: the demo zone with the permit catalogue, and a company that
belongs to the applicant (started through 企业开办, so it holds a signed business licence)."""

from __future__ import annotations

import pytest


@pytest.fixture
def permit_zone(zone):
    from zimao.catalog.services import load_packaged

    load_packaged("permits")
    return zone


@pytest.fixture
def company(permit_zone):
    from zimao.permits.tests.helpers import start_company

    return start_company(permit_zone.applicant, "嘉禾")


@pytest.fixture
def other_company(permit_zone):
    from zimao.permits.tests.helpers import start_company

    return start_company(permit_zone.applicant2, "恒远")
