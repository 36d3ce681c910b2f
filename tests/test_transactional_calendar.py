"""A transactional test (pytest-django runs them after the others) must not wipe what migrations
seeded — the holiday calendar — for the transactional tests after it."""

import pytest

from zimao.core.models import CalendarYear


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("turn", [1, 2])
def test_each_transactional_test_sees_the_seeded_calendar(turn):
    assert CalendarYear.objects.filter(year=2026).exists()
