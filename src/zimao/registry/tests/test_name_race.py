"""A name registered between the submission's check and the engine's run (issue 11: the run right
after submission skips the second look-up, the database's unique names still hold)."""

import pytest

from zimao.cases.models import Case
from zimao.cases.workflow import CaseStatus
from zimao.catalog import plugins
from zimao.registry.models import MarketEntity
from zimao.testing import submit


@pytest.mark.django_db
def test_a_name_taken_after_the_check_sends_the_case_to_a_person(zone, monkeypatch):
    first = submit(zone.applicant, "智远").case
    assert first.status == CaseStatus.DELIVERED
    # The check at submission ran before the other company was registered: it saw the name free.
    monkeypatch.setattr(plugins.checks["registry.name_available"], "func", lambda data, applicant=None: [])
    second = submit(zone.applicant2, "智远").case
    stored = Case.objects.get(pk=second.pk)
    assert stored.status == CaseStatus.IN_REVIEW  # accepted, not lost, not registered twice …
    assert MarketEntity.objects.filter(name=first.results["entity_name"]).count() == 1
    assert not stored.results.get("uscc")
    # … and a person is told why it did not go straight through
    [waiting] = stored.tasks.filter(status="open")
    assert any("名称已被占用" in n["zh"] for n in waiting.auto_notes), waiting.auto_notes
