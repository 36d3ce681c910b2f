"""The e-licence store: issuing, idempotency, verification, tampering, status, rotation."""

import datetime as dt

import pytest
from django.utils import timezone

from zimao.catalog import zone
from zimao.core import elicence, signing
from zimao.core.errors import BusinessError, Conflict, NotFound
from zimao.core.models import AuditEvent
from zimao.licences import services
from zimao.licences.models import Credential

from .conftest import HOLDER, OTHER_HOLDER

pytestmark = pytest.mark.django_db


def test_zone_issuer_code_is_a_valid_uscc():
    issuer = zone.current().issuer
    assert elicence.uscc_check_ok(issuer.uscc)
    seqs = [*services.KIND_TYPE_SEQ.values(), services.OTHER_TYPE_SEQ]
    assert len(set(seqs)) == len(seqs)  # one type code per kind
    for kind in [*services.KIND_TYPE_SEQ, "never_registered"]:
        elicence.make_identifier(services.type_code_for(kind), issuer.uscc, "1")


def test_register_kind_refuses_a_taken_or_malformed_sequence():
    with pytest.raises(ValueError):
        services.register_kind("another_kind", services.KIND_TYPE_SEQ["business_licence"])
    with pytest.raises(ValueError):
        services.register_kind("another_kind", "12")


def test_issue_signs_and_records(issue):
    cred = issue(case_number="LY20250001")
    ok, problems = elicence.validate_identifier(cred.identifier)
    assert ok, problems
    parsed = elicence.parse_identifier(cred.identifier)
    assert parsed.type_code == services.type_code_for("business_licence")
    assert parsed.issuer_uscc == zone.current().issuer.uscc
    assert parsed.serial == f"{timezone.localdate().year}0000001"
    assert parsed.version == "001"
    assert cred.valid_from == timezone.localdate()
    assert cred.status == "valid" and cred.issuer_name == zone.current().issuer.name_zh
    payload = signing.verify_jws(cred.jws)
    assert payload == services.credential_payload(Credential.objects.get(pk=cred.pk))
    assert payload["identifier"] == cred.identifier
    assert payload["holder"] == {"uscc": HOLDER, "name": "洛阳示例科技有限公司"}
    assert payload["validity"] == {"from": cred.valid_from.isoformat(), "until": None}
    assert cred.kid == signing.active_key().kid
    event = AuditEvent.objects.get(action="credential.issue")
    assert event.object_id == str(cred.pk) and event.after["identifier"] == cred.identifier


def test_serials_are_distinct(issue):
    a = issue(case_number="C1")
    b = issue(case_number="C2")
    assert a.identifier != b.identifier


def test_issue_is_idempotent_per_case_and_kind(issue):
    first = issue(case_number="LY20250002")
    again = issue(case_number="LY20250002", subject={"name": "changed"})
    assert again.pk == first.pk and again.jws == first.jws
    assert Credential.objects.filter(case_number="LY20250002").count() == 1
    assert AuditEvent.objects.filter(action="credential.issue").count() == 1
    permit = issue(
        case_number="LY20250002",
        kind="food_business_permit",
        title_zh="食品经营许可证",
        title_en="Food business permit",
    )
    assert permit.pk != first.pk
    assert elicence.parse_identifier(permit.identifier).type_code == services.type_code_for("food_business_permit")
    # Without a case number every call issues a new credential.
    assert issue().pk != issue().pk


def test_unregistered_kind_and_explicit_type_code(issue):
    cred = issue(kind="some_new_permit", title_zh="新许可", title_en="New permit")
    assert elicence.parse_identifier(cred.identifier).type_code == services.type_code_for("some_new_permit")
    assert services.type_code_for("some_new_permit").endswith(services.OTHER_TYPE_SEQ)
    cred = issue(kind="some_new_permit", type_code="11100000000013338W011")
    assert elicence.parse_identifier(cred.identifier).type_code == "11100000000013338W011"
    with pytest.raises(BusinessError):
        issue(type_code="bad")


@pytest.mark.parametrize(
    "override, field",
    [
        ({"holder_uscc": "91110108551385082X"}, "holder_uscc"),
        ({"holder_name": " "}, "holder_name"),
        ({"title_en": ""}, "title"),
        ({"subject": ["not", "a", "dict"]}, "subject"),
        ({"valid_from": "2025-05-01", "valid_until": "2025-04-01"}, "valid_until"),
        ({"valid_from": "01/05/2025"}, "valid_from"),
    ],
)
def test_issue_refuses_bad_input(issue, override, field):
    with pytest.raises(BusinessError) as exc:
        issue(**override)
    assert field in [p.field for p in exc.value.problems]
    assert Credential.objects.count() == 0


def test_subject_is_stored_as_signed(issue):
    cred = issue(subject={"name": "X", "established_on": dt.date(2025, 1, 2), "applicant_user_id": 1})
    cred = Credential.objects.get(pk=cred.pk)
    assert cred.subject["established_on"] == "2025-01-02"
    assert services.signature_problem(cred) is None


def test_verify_genuine_and_current(issue):
    cred = issue()
    result = services.verify(cred.identifier)
    assert result.format_ok and result.found and result.signature_ok
    assert result.genuine and result.current and result.status == "valid"
    assert result.label["label_zh"] == "真实有效"


def test_verify_unknown_and_malformed():
    unknown = elicence.make_identifier(
        services.type_code_for("business_licence"), zone.current().issuer.uscc, "20259999999"
    )
    result = services.verify(unknown)
    assert result.format_ok and not result.found and not result.genuine and result.status == "not_genuine"
    assert result.reason == "unknown"
    result = services.verify("hello")
    assert not result.format_ok and result.reason == "invalid_identifier" and result.problems


def test_verify_tampered_identifier(issue):
    cred = issue()
    last = cred.identifier[-1]
    tampered = cred.identifier[:-1] + ("A" if last != "A" else "B")
    assert not services.verify(tampered).genuine
    # One character of the serial changed (the check still catches it).
    serial = elicence.parse_identifier(cred.identifier).serial
    tampered = cred.identifier.replace(serial, serial[:-1] + ("9" if serial[-1] != "9" else "8"))
    result = services.verify(tampered)
    assert not result.genuine and result.reason == "invalid_identifier"


def test_verify_detects_edited_row(issue):
    cred = issue()
    Credential.objects.filter(pk=cred.pk).update(holder_name="冒名公司")
    result = services.verify(cred.identifier)
    assert result.found and not result.signature_ok and not result.genuine
    assert result.signature_reason == "content_mismatch" and result.status == "not_genuine"
    assert result.holder_credentials == []


def test_verify_detects_edited_subject_and_validity(issue):
    cred = issue(valid_until=dt.date.today() + dt.timedelta(days=30))
    Credential.objects.filter(pk=cred.pk).update(valid_until=dt.date.today() + dt.timedelta(days=3000))
    assert services.verify(cred.identifier).signature_reason == "content_mismatch"
    other = issue()
    subject = dict(other.subject, registered_capital="1亿元")
    Credential.objects.filter(pk=other.pk).update(subject=subject)
    assert not services.verify(other.identifier).genuine


def test_verify_detects_swapped_jws(issue):
    a = issue()
    b = issue(holder_uscc=OTHER_HOLDER, holder_name="深圳示例")
    Credential.objects.filter(pk=b.pk).update(jws=a.jws)
    assert services.verify(b.identifier).signature_reason == "content_mismatch"
    Credential.objects.filter(pk=a.pk).update(jws=a.jws[:-4] + "AAAA")
    assert services.verify(a.identifier).signature_reason in {"bad_signature", "malformed"}


def test_revoke_is_visible_at_once(issue):
    cred = issue()
    assert services.verify(cred.identifier).current
    services.revoke(cred.identifier, "以欺骗手段取得 obtained by deception", actor="officer")
    result = services.verify(cred.identifier)
    assert result.genuine and not result.current and result.status == "revoked"
    cred.refresh_from_db()
    assert cred.revoked_at is not None and cred.status_reason.startswith("以欺骗")
    event = AuditEvent.objects.get(action="credential.revoke")
    assert event.before["status"] == "valid" and event.after["status"] == "revoked" and event.actor == "officer"
    with pytest.raises(Conflict):
        services.revoke(cred.identifier, "again", actor="officer")
    with pytest.raises(Conflict):
        services.reinstate(cred.identifier, "undo", actor="officer")


def test_suspend_and_reinstate(issue):
    cred = issue()
    with pytest.raises(BusinessError):
        services.suspend(cred.identifier, "  ", actor="officer")
    services.suspend(cred.identifier, "整改期间 under rectification", actor="officer")
    assert services.verify(cred.identifier).status == "suspended"
    services.reinstate(cred.identifier, "整改完成 rectified", actor="officer")
    assert services.verify(cred.identifier).current
    services.suspend(cred.identifier, "again", actor="officer")
    services.revoke(cred.identifier, "final", actor="officer")
    assert services.verify(cred.identifier).status == "revoked"
    assert [e.action for e in AuditEvent.objects.filter(object_type="licences.credential").order_by("id")] == [
        "credential.issue",
        "credential.suspend",
        "credential.reinstate",
        "credential.suspend",
        "credential.revoke",
    ]
    with pytest.raises(NotFound):
        services.revoke("1.2.156.3005.2.x", "why", actor="officer")


def test_expiry_is_derived(issue):
    today = timezone.localdate()
    cred = issue(valid_from=today - dt.timedelta(days=400), valid_until=today - dt.timedelta(days=1))
    assert cred.status == "valid"  # stored status never says expired
    result = services.verify(cred.identifier)
    assert result.genuine and not result.current and result.status == "expired"
    assert cred.effective_status(today - dt.timedelta(days=1)) == "valid"
    assert cred.effective_status(today - dt.timedelta(days=401)) == "not_yet_valid"
    future = issue(valid_from=today + dt.timedelta(days=5))
    assert services.verify(future.identifier).status == "not_yet_valid"


def test_credentials_survive_rotation_and_fail_after_key_revocation(issue):
    before = issue()
    old_kid = before.kid
    signing.rotate_key("officer")
    after = issue()
    assert after.kid != old_kid
    assert services.verify(before.identifier).current
    assert services.verify(after.identifier).current
    signing.revoke_key(old_kid, actor="officer")
    result = services.verify(before.identifier)
    assert not result.genuine and result.signature_reason == "revoked_kid"
    assert services.verify(after.identifier).current


def test_integrated_view_lists_the_holders_credentials(issue):
    licence = issue()
    permit = issue(kind="food_business_permit", title_zh="食品经营许可证", title_en="Food business permit")
    revoked = issue(kind="construction_permit", title_zh="施工许可证", title_en="Construction permit")
    services.revoke(revoked.identifier, "reason", actor="officer")
    issue(holder_uscc=OTHER_HOLDER, holder_name="别家公司")
    result = services.verify(permit.identifier)
    rows = {c.identifier: s for c, s in result.holder_credentials}
    assert rows == {licence.identifier: "valid", permit.identifier: "valid", revoked.identifier: "revoked"}
    assert result.holder_credentials[0][0].kind == "business_licence"  # the licence leads
    assert permit.identifier not in {c.identifier for c, _ in result.other_credentials}
    assert [c.identifier for c in services.credentials_for(OTHER_HOLDER.lower())] != []


def test_integrated_view_marks_a_tampered_sibling(issue):
    licence = issue()
    permit = issue(kind="food_business_permit", title_zh="食品经营许可证", title_en="Food business permit")
    Credential.objects.filter(pk=permit.pk).update(title_en="Forged")
    rows = {c.identifier: s for c, s in services.verify(licence.identifier).holder_credentials}
    assert rows[permit.identifier] == "not_genuine"


def test_summary_masks_personal_values(issue):
    cred = issue(case_number="LY1")
    public = services.credential_summary(cred, masked=True)
    assert "applicant_user_id" not in public["subject"]
    assert public["subject"]["legal_representative"] == "张**"
    assert public["subject"]["legal_representative_id_number"] == "1101**********002X"
    assert "jws" not in public and "case_number" not in public
    assert public["status"] == "valid" and public["label_en"] == "Genuine and current"
    assert public["verify_url"].endswith(f"/verify/{cred.identifier}/")
    full = services.credential_summary(cred)
    assert full["subject"]["legal_representative"] == "张三丰"
    assert full["jws"] == cred.jws and full["case_number"] == "LY1"


def test_get_credential_and_lookups(issue, user, other_user, staff):
    cred = issue()
    assert services.get_credential(cred.identifier).pk == cred.pk
    with pytest.raises(NotFound):
        services.get_credential("nope")
    assert [c.pk for c in services.credentials_of_user(user)] == [cred.pk]
    assert services.credentials_of_user(other_user) == []
    assert services.can_view(user, cred) and services.can_view(staff, cred)
    assert not services.can_view(other_user, cred)


def test_lost_issue_race_returns_the_winners_credential(issue, monkeypatch):
    """Two workers issue for the same case at once: the unique (case, kind) constraint decides,
    and the loser hands back the winner's credential instead of failing."""
    real_sign = signing.sign_jws
    winner = {}

    def sign_while_another_worker_wins(payload):
        token = real_sign(payload)
        if not winner:  # the other worker commits between our check and our insert
            winner["cred"] = Credential.objects.create(
                identifier=payload["identifier"][:-5] + "9.001.X",
                kind="business_licence",
                title_zh="营业执照",
                title_en="Business licence",
                holder_uscc=HOLDER,
                holder_name="A",
                subject={},
                issuer_name="x",
                issued_at=timezone.now(),
                valid_from=timezone.localdate(),
                jws="x",
                kid="x",
                case_number="RACE1",
            )
        return token

    monkeypatch.setattr(signing, "sign_jws", sign_while_another_worker_wins)
    got = issue(case_number="RACE1")
    assert got.pk == winner["cred"].pk
    assert Credential.objects.filter(case_number="RACE1").count() == 1
    assert not AuditEvent.objects.filter(action="credential.issue").exists()
