"""The benchmark's bare write endpoint (zimao.core.bench): absent unless the setting turns it on;
when on, one INSERT and its commit, answering JSON."""

import importlib

import pytest
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from zimao.core import urls as core_urls
from zimao.core.models import BenchWrite

pytestmark = pytest.mark.django_db


def test_not_routed_by_default(client):
    assert client.post("/bench/write").status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("core:bench-write")
    assert not BenchWrite.objects.exists()


def test_core_urls_mount_it_only_when_enabled():
    try:
        with override_settings(BENCH_ENDPOINTS=True):
            assert "bench-write" in {p.name for p in importlib.reload(core_urls).urlpatterns}
        assert "bench-write" not in {p.name for p in importlib.reload(core_urls).urlpatterns}
    finally:
        importlib.reload(core_urls)


@override_settings(ROOT_URLCONF="zimao.core.bench", BENCH_ENDPOINTS=True)
def test_one_insert_and_commit_answering_json(django_assert_max_num_queries):
    client = Client(enforce_csrf_checks=True)  # a load generator sends no CSRF token
    with django_assert_max_num_queries(3):  # savepoint-free: BEGIN, INSERT, COMMIT at most
        response = client.post("/bench/write")
    assert response.status_code == 201
    assert response.json() == {"id": BenchWrite.objects.get().pk}
    assert client.post("/bench/write").json()["id"] > response.json()["id"]
    assert client.get("/bench/write").status_code == 405
