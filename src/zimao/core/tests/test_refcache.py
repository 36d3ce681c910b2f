"""The reference cache (core.refcache): hits and misses, the time limit, invalidation by signals
and by hand, transactions that roll back or commit, and the switch that turns it off."""

from __future__ import annotations

import pytest
from django.db import transaction

from zimao.catalog.models import Department
from zimao.core import refcache
from zimao.core.models import SigningKey

pytestmark = pytest.mark.django_db
MODELS = (Department,)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(refcache, "time", fake)
    return fake


def names_loader(calls: list):
    def load():
        calls.append(1)
        return {d.code: d.name_zh for d in Department.objects.all()}

    return load


def test_a_value_is_read_once_then_served_from_memory(django_assert_num_queries):
    Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    calls = []
    load = names_loader(calls)
    assert refcache.get("t", load, MODELS) == {"AMR": "市场监管局"}
    with django_assert_num_queries(0):
        assert refcache.get("t", load, MODELS) == {"AMR": "市场监管局"}
    assert len(calls) == 1


def test_an_entry_lives_reference_cache_seconds(settings, clock):
    settings.REFERENCE_CACHE_SECONDS = 5
    calls = []
    load = names_loader(calls)
    refcache.get("t", load, MODELS)
    clock.now += 4.9
    refcache.get("t", load, MODELS)
    assert len(calls) == 1
    clock.now += 0.2  # another process's change is seen within the limit
    refcache.get("t", load, MODELS)
    assert len(calls) == 2


def test_zero_seconds_turns_the_cache_off(settings):
    settings.REFERENCE_CACHE_SECONDS = 0
    calls = []
    load = names_loader(calls)
    refcache.get("t", load, MODELS)
    refcache.get("t", load, MODELS)
    assert len(calls) == 2
    assert "t" not in refcache._entries


def test_save_and_delete_invalidate_at_once():
    dept = Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    load = names_loader([])
    assert refcache.get("t", load, MODELS) == {"AMR": "市场监管局"}
    dept.name_zh = "市场监督管理局"
    dept.save()
    assert refcache.get("t", load, MODELS) == {"AMR": "市场监督管理局"}
    dept.delete()
    assert refcache.get("t", load, MODELS) == {}


def test_only_entries_read_from_the_changed_model_are_dropped():
    refcache.get("depts", names_loader([]), MODELS)
    refcache.get("other", lambda: 42, (SigningKey,))
    Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    assert "depts" not in refcache._entries
    assert "other" in refcache._entries


def test_writes_without_signals_invalidate_by_hand():
    Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    load = names_loader([])
    refcache.get("t", load, MODELS)
    Department.objects.update(name_zh="改名")  # no signal: the cache cannot know…
    assert refcache.get("t", load, MODELS) == {"AMR": "市场监管局"}
    refcache.invalidate(Department)  # …until told
    assert refcache.get("t", load, MODELS) == {"AMR": "改名"}


def test_a_rolled_back_write_is_never_served():
    dept = Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    load = names_loader([])
    refcache.get("t", load, MODELS)
    with pytest.raises(RuntimeError), transaction.atomic():
        dept.name_zh = "未提交"
        dept.save()
        # The transaction sees its own write, but what it reads is not kept for anyone else.
        assert refcache.get("t", load, MODELS) == {"AMR": "未提交"}
        assert "t" not in refcache._entries
        raise RuntimeError("roll back")
    assert refcache.get("t", load, MODELS) == {"AMR": "市场监管局"}
    assert refcache.get("t", load, MODELS) == {"AMR": "市场监管局"}  # and that is what is kept
    assert refcache._entries["t"][2] == {"AMR": "市场监管局"}


def test_a_transaction_that_wrote_nothing_cached_still_uses_and_fills_the_cache(django_assert_num_queries):
    Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    load = names_loader([])
    with transaction.atomic():
        refcache.get("t", load, MODELS)
        assert "t" in refcache._entries
        with django_assert_num_queries(0):
            refcache.get("t", load, MODELS)


def test_a_value_read_while_it_was_invalidated_is_not_kept():
    def load():
        value = {d.code for d in Department.objects.all()}
        Department.objects.create(code="TAX", name_zh="税务局", name_en="Tax")  # lands meanwhile
        return value

    assert refcache.get("t", load, MODELS) == set()
    assert "t" not in refcache._entries


def test_an_unknown_model_is_refused():
    from zimao.cases.models import Case

    with pytest.raises(RuntimeError, match="not watched"):
        refcache.get("t", lambda: 1, (Case,))


def test_changing_settings_clears_the_cache(settings):
    refcache.get("t", lambda: 1, MODELS)
    settings.ZIMAO_ZONE_PROFILE = "henan-ftz-410200"
    assert "t" not in refcache._entries


@pytest.mark.django_db(transaction=True)
def test_a_commit_drops_what_other_threads_kept_meanwhile():
    """Another thread may keep the old row while the writing transaction is open (it reads only
    what is committed); the commit drops it again."""
    dept = Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    load = names_loader([])
    with transaction.atomic():
        dept.name_zh = "市场监督管理局"
        dept.save()
        refcache._entries["t"] = (float("inf"), frozenset({"catalog.Department"}), {"AMR": "市场监管局"})
    assert "t" not in refcache._entries
    assert refcache.get("t", load, MODELS) == {"AMR": "市场监督管理局"}
    assert refcache._WRITTEN not in transaction.get_connection().__dict__


def test_a_second_transaction_does_not_forget_what_the_first_wrote():
    dept = Department.objects.create(code="AMR", name_zh="市场监管局", name_en="AMR")
    with transaction.atomic():
        dept.save()  # marks this transaction as having written departments
    # As if another thread kept an old row after that transaction ended (no on_commit in a test).
    refcache._entries["t"] = (float("inf"), frozenset({"catalog.Department"}), "old")
    with transaction.atomic():
        SigningKey.objects.create(kid="k", algorithm="Ed25519", public_jwk={}, private_key_encrypted="x")
        assert "t" not in refcache._entries  # the first transaction's mark was settled first
