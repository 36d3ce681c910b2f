"""``zimao.core.fastsql``: the multi-row INSERT without Django's compiler writes exactly the rows
``bulk_create`` writes (JSON with the field's encoder, aware datetimes, dates, NULLs, booleans,
choices, foreign keys, ``auto_now_add``), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zimao.core import fastsql
from zimao.core.models import ApiToken, AuditEvent, CalendarDay, OutboxEvent, SigningKey

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 4, 9, 30, 15, 123456, tzinfo=SHANGHAI)


def raw_rows(model) -> list[tuple]:
    """Every column but the id, as the database hands it back (no model conversion)."""
    meta = model._meta
    cols = [f.column for f in meta.concrete_fields if f is not meta.pk]
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(map(qn, cols))} FROM {qn(meta.db_table)} ORDER BY {qn(meta.pk.column)}")
        return cur.fetchall()


def same_rows_as_bulk_create(make) -> list:
    """Insert ``make()`` with bulk_create, read the rows, delete them; insert ``make()`` again
    with fastsql.create: the rows read back must be the same."""
    first = make()
    model = type(first[0])
    model.objects.all().delete()  # rows a migration seeded
    model.objects.bulk_create(first)
    expected = raw_rows(model)
    model.objects.all().delete()
    second = make()
    assert fastsql.create(second) is second
    assert raw_rows(model) == expected
    assert all(o.pk is not None and not o._state.adding and o._state.db == "default" for o in second)
    assert [o.pk for o in second] == list(model.objects.order_by("pk").values_list("pk", flat=True))
    return second


def test_audit_events_json_null_and_aware_datetimes():
    def make():
        return [
            AuditEvent(
                at=AT + dt.timedelta(seconds=i),
                actor="系统:router",
                action="task.created",
                object_type="cases.task",
                object_id=str(i),
                object_seq=1,
                before=None if i % 2 else {"状态": "待办", "n": [1, 2.5, None, True]},
                after={"case": "ZM-1", "due_date": "2026-03-05", "nested": {"ünïcode": "企业开办"}},
                prev_hash="0" * 64,
                hash=f"{i:064x}",
            )
            for i in range(5)
        ]

    events = same_rows_as_bulk_create(make)
    back = AuditEvent.objects.get(pk=events[1].pk)
    assert back.at == AT + dt.timedelta(seconds=1) and back.before is None and back.log_index is None
    assert back.after["nested"] == {"ünïcode": "企业开办"}


def test_outbox_payload_uses_the_fields_encoder():
    def make():
        return [
            OutboxEvent(
                topic="test.fast",
                key=f"k{i}",
                payload={"at": AT, "amount": Decimal("12.50"), "day": dt.date(2026, 1, 2), "i": i},
                created=AT,
            )
            for i in range(3)
        ]

    events = same_rows_as_bulk_create(make)
    assert OutboxEvent.objects.get(pk=events[0].pk).payload["amount"] == "12.50"


def test_dates_booleans_choices_foreign_keys_and_auto_now_add():
    user = get_user_model().objects.create_user("fast", password="x" * 12)
    fixed = dt.datetime(2026, 5, 6, 7, 8, 9, 10, tzinfo=dt.UTC)
    same_rows_as_bulk_create(
        lambda: [CalendarDay(date=dt.date(2031, 1, d), is_workday=d % 2 == 0, name="元旦") for d in (1, 2, 3)]
    )
    with mock.patch("django.utils.timezone.now", return_value=fixed):
        tokens = same_rows_as_bulk_create(
            lambda: [ApiToken(user=user, name=f"t{i}", digest=f"{i:064x}", revoked=i == 1) for i in range(3)]
        )
        keys = same_rows_as_bulk_create(
            lambda: [
                SigningKey(
                    kid=f"kid{i}", public_jwk={"kty": "OKP", "x": str(i)}, private_key_encrypted="", retired_at=None
                )
                for i in range(2)
            ]
        )
    assert tokens[0].created_at == fixed and ApiToken.objects.get(pk=tokens[0].pk).created_at == fixed
    assert SigningKey.objects.get(pk=keys[0].pk).status == SigningKey.Status.ACTIVE


def test_an_unsaved_related_object_is_refused():
    user = get_user_model()(username="nobody")
    with pytest.raises(ValueError, match="unsaved related object 'user'"):
        fastsql.create([ApiToken(user=user, name="t", digest="d")])


def test_many_rows_are_split_into_batches_as_bulk_create_splits_them():
    n = 300  # SQLite: 999 parameters per statement, 11 columns -> 90 rows per INSERT

    def make():
        return [
            AuditEvent(
                at=AT,
                actor="a",
                action="x",
                object_type="t",
                object_id="1",
                object_seq=i + 1,
                prev_hash="0" * 64,
                hash=f"{i:064x}",
            )
            for i in range(n)
        ]

    with CaptureQueriesContext(connection) as fast:
        same_rows_as_bulk_create(make)
    inserts = [q for q in fast.captured_queries if q["sql"].startswith("INSERT")]
    batch = connection.ops.bulk_batch_size(AuditEvent._meta.concrete_fields[1:], [None] * n)
    assert len(inserts) == 2 * -(-n // batch)  # bulk_create's and ours: the same number


def test_insert_new_skips_what_exists_and_answers_the_new_rows():
    now = timezone.now()
    (old,) = fastsql.insert_new([OutboxEvent(topic="test.t", key="a", payload={}, created=now)], ["id", "topic", "key"])
    rows = fastsql.insert_new(
        [
            OutboxEvent(topic="test.t", key="a", payload={"again": 1}, created=now),  # a repeat: skipped
            OutboxEvent(topic="test.t", key="b", payload={}, created=now),
            OutboxEvent(topic="test.t", key="", payload={}, created=now),  # unkeyed: never a repeat
            OutboxEvent(topic="test.t", key="", payload={}, created=now),
        ],
        ["id", "key"],
    )
    assert [k for _pk, k in sorted(rows)] == ["b", "", ""] and all(pk > old[0] for pk, _k in rows)
    assert OutboxEvent.objects.get(key="a").payload == {}
    many = [OutboxEvent(topic="test.many", key=f"m{i % 12}", payload={"i": i}, created=now) for i in range(15)]
    rows = fastsql.insert_new(many, ["key"])  # past UNNEST_FROM: one array per column on PostgreSQL
    assert sorted(k for (k,) in rows) == sorted(f"m{i}" for i in range(12))
    assert OutboxEvent.objects.get(key="m1").payload == {"i": 1}
    assert fastsql.insert_new([], ["id"]) == [] and fastsql.create([]) == []


def test_models_it_cannot_insert_exactly_are_refused():
    from zimao.core.models import CalendarYear, Sequence

    with pytest.raises(TypeError, match="automatic id"):  # its key is its name
        fastsql._Plan(Sequence, connection)
    assert fastsql._Plan(CalendarYear, connection).fields  # plain fields and auto_now_add: fine
    field_class = type(CalendarYear._meta.get_field("year"))
    with (  # a field computing its value on save (a FileField, say): left to bulk_create
        mock.patch.object(field_class, "pre_save", lambda self, obj, add: 1),
        pytest.raises(TypeError, match="computes its value on save"),
    ):
        fastsql._Plan(CalendarYear, connection)


def test_a_field_with_its_own_conversion_is_converted_by_it_encrypted_text_stays_encrypted():
    from zimao.web.models import Profile

    user = get_user_model().objects.create_user("fastsql-holder")
    [profile] = fastsql.create([Profile(user=user, phone="13800138000", phone_masked="138****8000")])
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM web_profile WHERE id = %s", [profile.pk])
        [(stored,)] = cur.fetchall()
    assert stored and "13800138000" not in stored  # never the plain number in the table
    assert Profile.objects.get(pk=profile.pk).phone == "13800138000"
    field = Profile._meta.get_field("phone")
    assert not fastsql._converts_as_its_kind(field)
    assert fastsql._converts_as_its_kind(Profile._meta.get_field("phone_masked"))
    assert fastsql._converts_as_its_kind(AuditEvent._meta.get_field("after"))  # plain JSON: fast path
