"""Events, not imports (``zimao.core.events``): an announcement is an outbox row written in the
change's own transaction, delivered to the subscribers other apps registered, retried until
they all took it; the dashboard counts what the engine announces without the engine knowing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from zimao.core import events
from zimao.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """A subscriber of ``test.*`` that records what it is handed (and fails while told to)."""
    saved = events.snapshot()

    class Heard(list):
        state = {"fail": False}

    got = Heard()
    state = got.state

    @events.subscribe("test.*", name="test.recorder")
    def recorder(event):
        if state["fail"]:
            raise RuntimeError("the consumer is down")
        got.append(event)

    yield got
    events.restore(saved)


def test_an_announcement_is_delivered_to_its_subscribers(heard):
    event = events.announce("test.happened", {"n": 1, "at": timezone.now()}, key="one")
    event.refresh_from_db()
    assert event.delivered is not None and event.attempts == 1 and event.last_error == ""
    assert [(e.topic, e.key, e.payload["n"]) for e in heard] == [("test.happened", "one", 1)]
    events.announce("other.topic", {})  # not a test.* topic: not handed to this subscriber
    assert len(heard) == 1


def test_a_repeated_announcement_is_one_event(heard):
    first = events.announce("test.happened", {"n": 1}, key="same")
    again = events.announce("test.happened", {"n": 2}, key="same")
    assert again.pk == first.pk
    assert OutboxEvent.objects.filter(topic="test.happened").count() == 1 and len(heard) == 1


def test_a_rolled_back_change_announces_nothing(heard):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.announce("test.happened", {"n": 1}, key="lost")
        raise RuntimeError("the change failed")
    assert not OutboxEvent.objects.filter(key="lost").exists()


def test_a_failed_delivery_is_kept_and_retried_later(heard):
    heard.state["fail"] = True
    event = events.announce("test.happened", {"n": 1}, key="retry")
    event.refresh_from_db()
    assert event.delivered is None and event.attempts == 1 and "the consumer is down" in event.last_error
    assert event.next_attempt > timezone.now()
    assert events.drain() == {"delivered": 0, "failed": 0, "busy": 0, "waiting": 1}  # not due yet: no hammering
    heard.state["fail"] = False
    assert events.drain(now=event.next_attempt + timedelta(seconds=1))["delivered"] == 1
    event.refresh_from_db()
    assert event.delivered and event.attempts == 2 and event.last_error == "" and len(heard) == 1


def test_a_lost_delivery_is_drained_by_the_command(heard, settings, capsys):
    """With the database queue the delivery task is only queued: should the worker never run it
    (the process died after the commit), ``zimao events drain`` delivers the row."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    event = events.announce("test.happened", {"n": 1}, key="queued")
    assert heard == [] and OutboxEvent.objects.get(pk=event.pk).delivered is None
    call_command("events", "status")
    assert '"waiting": 1' in capsys.readouterr().out
    call_command("events", "drain")
    assert '"delivered": 1' in capsys.readouterr().out
    assert OutboxEvent.objects.get(pk=event.pk).delivered and len(heard) == 1


def test_a_transaction_s_announcements_are_one_insert_and_one_queued_delivery(heard, settings):
    """Inside ``events.buffered()``: no look-up by key, one INSERT for the block's announcements
    (a repeat of a key already written, or earlier in the block, is skipped by the database) and
    one delivery task for the new rows; one announced in a rolled-back savepoint is dropped."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    earlier = events.announce("test.happened", {"n": 0}, key="earlier")
    DBTaskResult.objects.all().delete()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, events.buffered():
        first = events.announce("test.happened", {"n": 1}, key="a")
        same = events.announce("test.happened", {"n": 2}, key="a")  # the same event
        again = events.announce("test.happened", {"n": 3}, key="earlier")  # written before
        events.announce("test.other", {"n": 4})
        events.announce("test.other", {"n": 5})
        with pytest.raises(RuntimeError), transaction.atomic():
            events.announce("test.happened", {"n": 6}, key="rolled-back")
            raise RuntimeError("this part failed")
        assert first.pk is None  # written when the block ends
    inserts = [q["sql"] for q in queries.captured_queries if "core_outboxevent" in q["sql"]]
    assert len(inserts) == 2 and "INSERT" in inserts[0]  # and the id of the repeated "earlier"
    assert first.pk and same.pk == first.pk and again.pk == earlier.pk
    rows = list(OutboxEvent.objects.filter(topic__startswith="test.").values_list("key", "payload"))
    assert rows == [("earlier", {"n": 0}), ("a", {"n": 1}), ("", {"n": 4}), ("", {"n": 5})]
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path.endswith("deliver_events") and heard == []
    assert events.drain()["delivered"] == 4 and len(heard) == 4


def test_a_rolled_back_transaction_leaves_no_buffered_announcement(heard):
    with pytest.raises(RuntimeError), transaction.atomic(), events.buffered():
        events.announce("test.happened", {"n": 1}, key="never")
        raise RuntimeError("the change failed")
    assert not OutboxEvent.objects.filter(key="never").exists() and heard == []


def test_subscriptions_name_a_topic_or_an_area():
    with pytest.raises(ValueError):
        events.subscribe("case*")
    assert events.Subscription("case.*", "x", print).matches("case.finished")
    assert not events.Subscription("case.*", "x", print).matches("cases.completed")


def test_a_fact_must_say_when_it_happened():
    with pytest.raises(ValueError):
        events.announce_fact("test.fact", timezone.now().replace(tzinfo=None), event_key="k")
    with pytest.raises(ValueError):
        events.announce_fact("test.fact", timezone.now(), event_key="")


def test_a_finished_case_is_one_announcement_the_dashboard_counts_twice(zone):
    """The engine announces ``case.finished`` once; the dashboard (subscribed in its ready)
    counts the completion and, for a case handled for another zone, the cross-zone figure."""
    from zimao.cases.services import submit
    from zimao.monitor.models import MonitorEvent
    from zimao.testing import ESTABLISHMENT, application, upload_materials

    case = submit(
        zone.applicant,
        ESTABLISHMENT,
        application("智远"),
        materials=upload_materials(zone.applicant),
        origin_zone="410300",
    ).case
    announced = OutboxEvent.objects.filter(topic="case.finished", key=case.number)
    assert announced.count() == 1 and announced.get().delivered
    counted = dict(MonitorEvent.objects.filter(ref=case.number).values_list("stream", "dimension"))
    assert counted["cases.completed"] == ESTABLISHMENT
    assert counted["cases.cross_zone"] == "410300"
    # Delivered again (a worker died after delivering): counted once.
    OutboxEvent.objects.filter(pk=announced.get().pk).update(delivered=None)
    assert events.deliver(announced.get().pk)
    assert MonitorEvent.objects.filter(event_key=f"case:{case.number}").count() == 1
