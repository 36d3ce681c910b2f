"""Monitor tests run background tasks inline (the immediate backend) so a test sees the result."""

import pytest

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture(autouse=True)
def registered_sources():
    """Tests here register and unregister stream sources; the apps' own are back afterwards."""
    from zimao.monitor import sources

    saved = sources.snapshot()
    yield
    sources.restore(saved)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user("zoneadmin", password="pw-zone-admin-1", is_staff=True)


@pytest.fixture
def group_admin(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("groupadmin", password="pw-zone-admin-2")
    user.groups.add(Group.objects.get_or_create(name="zone_admin")[0])
    return user


@pytest.fixture
def applicant(django_user_model):
    return django_user_model.objects.create_user("applicant", password="pw-applicant-3")


@pytest.fixture
def demo(db):
    from zimao.monitor.demo import load_demo

    load_demo()
