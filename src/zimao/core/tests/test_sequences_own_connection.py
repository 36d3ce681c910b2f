"""PostgreSQL: counters are taken in their own short transaction, so the caller's transaction
holds no zone-wide counter row until it commits (issue 11); a rolled-back value is a gap."""

import psycopg
import pytest
from django.db import connection, transaction

from zimao.core import sequences

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own connection only")


@pytest.fixture
def own_connection(settings):
    settings.COUNTERS_OWN_CONNECTION = True
    yield
    sequences.close_own_connection()


def _row_is_free(name: str) -> bool:
    """Whether another session can lock the counter's row right now (NOWAIT: no waiting)."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        try:
            with other.transaction():
                other.execute("SELECT value FROM core_sequence WHERE name = %s FOR UPDATE NOWAIT", [name])
            return True
        except psycopg.errors.LockNotAvailable:
            return False


@pytest.mark.django_db(transaction=True)
def test_a_transaction_holds_no_counter_row_and_a_rollback_leaves_a_gap(own_connection):
    class Undo(Exception):
        pass

    assert sequences.next_value("test-own") == 1  # outside a transaction: as ever
    with pytest.raises(Undo), transaction.atomic():
        assert sequences.next_value("test-own") == 2
        assert sequences.next_value("test-own") == 3
        assert _row_is_free("test-own")  # committed on its own: nobody waits for this transaction
        raise Undo
    assert sequences.next_value("test-own") == 4  # 2 and 3 are gaps, never handed out again


@pytest.mark.django_db(transaction=True)
def test_without_the_setting_the_counter_is_the_callers(settings):
    settings.COUNTERS_OWN_CONNECTION = False
    assert sequences.next_value("test-mine") == 1  # the row exists (autocommit)
    with transaction.atomic():
        assert sequences.next_value("test-mine") == 2
        assert not _row_is_free("test-mine")  # held until this transaction commits
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert sequences.next_value("test-mine") == 3
        1 / 0  # noqa: B018
    assert sequences.next_value("test-mine") == 3  # rolled back with the caller: no gap


@pytest.mark.django_db(transaction=True)
def test_several_counters_at_once_are_taken_on_their_own_too(own_connection):
    assert sequences.next_values(["test-b", "test-a"]) == {"test-a": 1, "test-b": 1}
    with transaction.atomic():
        assert sequences.next_values(["test-a", "test-b"]) == {"test-a": 2, "test-b": 2}
        assert _row_is_free("test-a") and _row_is_free("test-b")
