"""Reference data from the process's cache (core.refcache) in the engine: a change made in this
process is seen by the very next submission; what the cache hands out cannot be changed for
everyone."""

from __future__ import annotations

import copy

import pytest
from django.test.utils import CaptureQueriesContext

from zimao.catalog import zone as zone_profile
from zimao.catalog.models import Department
from zimao.catalog.services import current_process, departments, get_service, publish_process
from zimao.core import refcache
from zimao.core.errors import BusinessError
from zimao.licences import services as licences
from zimao.testing import submit

pytestmark = pytest.mark.django_db
DEMO = "henan-ftz-410300"


def _licence(case):
    case.refresh_from_db()
    [ref] = [o for o in case.outputs if o["kind"] == "business_licence"]
    return licences.get_credential(ref["identifier"])


def test_a_new_process_version_is_used_by_the_next_submission(zone):
    first = submit(zone.applicant, "热身", key="one").case
    assert ("catalog.process", first.service_id) in refcache._entries  # cached by the first
    v1 = first.process.definition
    v2 = {**v1, "stages": [s if s["key"] != "registration" else {**s, "deadline_days": 2} for s in v1["stages"]]}
    proc2 = publish_process(get_service("QYKB-001"), v2)
    second = submit(zone.applicant2, "远航", key="two").case
    assert second.process_id == proc2.pk
    assert first.process.version == 1 and second.process.version == 2


def test_an_edited_zone_profile_is_printed_by_the_next_submission(zone):
    zone_profile.load_packaged(DEMO)
    before = _licence(submit(zone.applicant, "热身", key="one").case)
    data = copy.deepcopy(zone_profile.packaged_profile(DEMO))
    amr = next(d for d in data["departments"] if d["code"] == "AMR")
    assert before.issuer_name == amr["authority_name_zh"]
    amr["authority_name_zh"] = "示例市场监督管理局（改）"
    zone_profile.import_profile(data)
    after = _licence(submit(zone.applicant2, "远航", key="two").case)
    assert after.issuer_name == "示例市场监督管理局（改）"


def test_a_department_saved_by_hand_is_seen_at_once(zone):
    zone_profile.load_packaged(DEMO)
    assert zone_profile.current().authority("AMR").name_zh != "改名的机关"
    dept = Department.objects.get(code="AMR")
    dept.authority_name_zh = "改名的机关"
    dept.save()
    assert zone_profile.current().authority("AMR").name_zh == "改名的机关"
    assert departments()["AMR"].authority_name_zh == "改名的机关"


def test_a_second_submission_reads_no_reference_rows(zone):
    from django.db import connection

    submit(zone.applicant, "热身", key="one")
    submit(zone.applicant, "二次", key="two")  # the warm-up created the signing key
    with CaptureQueriesContext(connection) as queries:
        submit(zone.applicant, "智远", key="three")
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if 'FROM "catalog_' in s]  # (the case's own row joins its service)
    keys = [s for s in sql if "core_signingkey" in s]
    assert len(keys) == 1 and keys[0].startswith('SELECT "id" FROM "core_signingkey"')  # which key is active


def test_the_cached_service_and_process_cannot_be_changed_for_everyone(zone):
    service = get_service("QYKB-001")
    service.name_zh = "改了"
    service.department.code  # noqa: B018 — the related row is there without a query
    assert get_service("QYKB-001").name_zh != "改了"
    proc = current_process(service)
    proc.version = 99
    assert current_process(service).version != 99
    with pytest.raises(TypeError):
        departments()["AMR"] = None  # type: ignore[index]


def test_an_unknown_service_is_refused_every_time_and_not_kept(zone):
    for _ in range(2):
        with pytest.raises(BusinessError):
            get_service("NO-SUCH-ITEM")
    assert ("catalog.service", "NO-SUCH-ITEM") not in refcache._entries


def test_an_unpublished_service_is_no_longer_offered(zone):
    get_service("QYKB-001")
    service = get_service("QYKB-001", published_only=False)
    service.published = False
    service.save(update_fields=["published"])
    with pytest.raises(BusinessError):
        get_service("QYKB-001")
    assert get_service("QYKB-001", published_only=False).code == "QYKB-001"
