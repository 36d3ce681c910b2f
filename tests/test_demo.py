"""`zimao demo` loads the Luoyang zone; running it twice changes nothing."""

import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def row_counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label not in ("sessions", "admin", "django_tasks_db")
    }


def test_demo_is_idempotent(capsys):
    call_command("demo")
    out = capsys.readouterr().out
    first = row_counts()
    call_command("demo")
    assert row_counts() == first
    for username in ("applicant", "clerk", "reviewer", "admin"):
        assert username in out


def test_demo_companies_have_valid_generated_codes():
    from zimao.core.identifiers import validate_uscc
    from zimao.registry.models import MarketEntity

    call_command("demo")
    companies = MarketEntity.objects.filter(demo=True)
    assert companies.count() >= 10
    assert all(validate_uscc(c.uscc).valid for c in companies)
    assert companies.filter(name="中航光电科技股份有限公司").exists()


def test_demo_users_can_log_in(client):
    from zimao.web.demo import DEMO_PASSWORD

    call_command("demo")
    assert client.login(username="reviewer", password=DEMO_PASSWORD)
