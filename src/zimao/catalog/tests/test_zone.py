"""The zone profile (片区配置): data an administrator edits, exported and imported as JSON, and
the only source of the names and codes printed on what the zone issues."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from zimao.catalog import zone
from zimao.catalog.models import Department, ServiceItem, ZoneProfile
from zimao.core import elicence
from zimao.core.errors import BusinessError
from zimao.core.models import AuditEvent

pytestmark = pytest.mark.django_db

DEMO = "henan-ftz-410300"
SECOND = "henan-ftz-410200"
SRC = Path(__file__).resolve().parents[2]  # src/zimao


def test_packaged_profiles_are_valid_and_distinct():
    assert {DEMO, SECOND} <= set(zone.packaged_keys())
    demo, second = zone.packaged_profile(DEMO), zone.packaged_profile(SECOND)
    for data in (demo, second):
        assert zone.profile_problems(data) == []
        codes = [d["authority_uscc"] for d in data["departments"]]
        assert len(set(codes)) == len(codes)  # every authority its own code, no shared placeholder
        assert data["demo_codes"] is True  # the codes are placeholders and say so
    shared = {
        d["code"]
        for d in demo["departments"]
        if d["authority_uscc"] in {e["authority_uscc"] for e in second["departments"]}
    }
    assert shared == {"HN-PSB"}  # only the provincial authority both areas share
    assert second["division"] == "410200" and second["name_zh"] == "中国（河南）自由贸易试验区开封片区"


def test_every_deciding_department_of_the_packaged_catalogue_has_an_authority():
    from zimao.catalog.services import load_packaged

    for name in ("establishment", "permits", "trade"):
        load_packaged(name)
    deciding = set(ServiceItem.objects.values_list("department__code", flat=True))
    for key in (DEMO, SECOND):
        named = {d["code"] for d in zone.packaged_profile(key)["departments"]}
        assert deciding - {"WINDOW"} <= named, (key, deciding - named)


def test_without_a_stored_profile_the_packaged_default_is_used_read_only():
    z = zone.current()
    assert z.key == DEMO and not z.stored
    assert not ZoneProfile.objects.exists()
    assert z.registration_authority.department == "AMR"


def test_import_then_export_round_trips_and_is_audited_once():
    data = zone.packaged_profile(SECOND)
    zone.import_profile(data, actor="system:test")
    zone.import_profile(data, actor="system:test")  # the same file again changes nothing
    assert AuditEvent.objects.filter(action="zone.profile_imported").count() == 1
    z = zone.current()
    assert z.stored and z.key == SECOND and z.origin_place == "KAIFENG, CHINA"
    assert zone.place_of_issue() == "KAIFENG, CHINA"
    assert Department.objects.get(code="AMR").authority_name_zh == "开封市市场监督管理局"
    exported = zone.export_profile()
    assert {k: v for k, v in exported.items() if k != "departments"} == {
        k: v for k, v in data.items() if k != "departments"
    }
    assert sorted(exported["departments"], key=lambda d: d["code"]) == sorted(
        data["departments"], key=lambda d: d["code"]
    )


def test_importing_another_profile_replaces_the_active_one():
    zone.load_packaged(DEMO)
    zone.load_packaged(SECOND)
    assert list(ZoneProfile.objects.filter(active=True).values_list("key", flat=True)) == [SECOND]
    # A department the new profile does not name loses the old zone's authority.
    second = copy.deepcopy(zone.packaged_profile(SECOND))
    second["departments"] = [d for d in second["departments"] if d["code"] != "TOBACCO"]
    zone.import_profile(second)
    assert Department.objects.get(code="TOBACCO").authority_uscc == ""
    assert zone.authority_for("TOBACCO") == zone.current().issuer


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: d.update(division="999999"), "division"),
        (lambda d: d.update(name_zh=""), "name_zh"),
        (lambda d: d.update(registration_department="NOPE"), "registration_department"),
        (lambda d: d.update(site_url="ftp://x"), "site_url"),
        (lambda d: d["departments"][1].update(authority_uscc="11410200DM00000218"), "departments[1].authority_uscc"),
        (lambda d: d["departments"].append(dict(d["departments"][0])), "departments[21].code"),
    ],
)
def test_a_bad_profile_is_refused_whole_naming_the_field(change, field):
    zone.load_packaged(DEMO)
    data = copy.deepcopy(zone.packaged_profile(SECOND))
    change(data)
    with pytest.raises(BusinessError) as exc:
        zone.import_profile(data)
    assert field in [p.field for p in exc.value.problems]
    assert all(p.zh and p.en for p in exc.value.problems)
    assert zone.current().key == DEMO  # nothing changed


def test_cli_export_and_import(tmp_path, capsys):
    call_command("zone", "import", "--packaged", SECOND)
    out = tmp_path / "zone.json"
    call_command("zone", "export", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["key"] == SECOND and data["format"] == zone.FORMAT
    data["site_url"] = "https://zimao.example.org/"
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    call_command("zone", "import", str(out))
    assert zone.site_url() == "https://zimao.example.org"
    call_command("zone", "show")
    assert "开封市市场监督管理局" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="JSON"):
        call_command("zone", "import", str(bad))
    data["division"] = "12"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("zone", "import", str(bad))


def test_admin_edits_the_profile_and_department_authorities(admin_client):
    zone.load_packaged(DEMO)
    profile = ZoneProfile.objects.get()
    page = admin_client.get(f"/admin/catalog/zoneprofile/{profile.pk}/change/")
    assert page.status_code == 200
    dept = Department.objects.get(code="AMR")
    form = {
        "code": "AMR",
        "name_zh": dept.name_zh,
        "name_en": dept.name_en,
        "authority_name_zh": "某市场监督管理局",
        "authority_name_en": "Some AMR",
        "authority_uscc": "11410300DM000002XX",
    }
    response = admin_client.post(f"/admin/catalog/department/{dept.pk}/change/", form)
    assert response.status_code == 200 and "authority_uscc" in response.content.decode()  # refused: bad code
    form["authority_uscc"] = zone.packaged_profile(SECOND)["departments"][1]["authority_uscc"]
    response = admin_client.post(f"/admin/catalog/department/{dept.pk}/change/", form)
    assert response.status_code == 302
    assert zone.authority_for("AMR").name_zh == "某市场监督管理局"


# ---------------------------------------------------------------- another zone, end to end


def _kaifeng_catalogue():
    """What a Kaifeng administrator edits in the catalogue: the divisions offered for names."""
    service = ServiceItem.objects.get(code="QYKB-001")
    form = copy.deepcopy(service.form)
    for section in form["sections"]:
        for field in section["fields"]:
            if field["key"] == "division":
                field["choices"] = [["410202", "开封市龙亭区", "Longting District, Kaifeng"]]
                field["default"] = "410202"
    service.form = form
    service.save(update_fields=["form"])


def test_second_zone_walks_establishment_to_a_licence_naming_only_its_authorities():
    from zimao import testing
    from zimao.licences import pdf
    from zimao.licences import services as licences

    people = testing.build_zone()
    zone.load_packaged(SECOND)
    _kaifeng_catalogue()
    case = testing.submit(
        people.applicant,
        name={"division": "410202"},
        registration={"address": "开封市龙亭区宋城路1号"},
        steps={"selected": ["seal", "tax", "social_insurance", "housing_fund"]},
    ).case
    case.refresh_from_db()
    assert case.status == "delivered", case.status
    [ref] = [o for o in case.outputs if o["kind"] == "business_licence"]
    cred = licences.get_credential(ref["identifier"])
    kaifeng = zone.packaged_profile(SECOND)
    amr = next(d for d in kaifeng["departments"] if d["code"] == "AMR")
    assert cred.holder_name == "开封智远科技有限公司"
    assert cred.issuer_name == amr["authority_name_zh"] == cred.subject["registration_authority"]
    parsed = elicence.parse_identifier(cred.identifier)
    assert parsed.issuer_uscc == amr["authority_uscc"]
    kaifeng_codes = {d["authority_uscc"] for d in kaifeng["departments"]}
    assert parsed.defining_authority_uscc in kaifeng_codes
    assert licences.verify(cred.identifier).current
    # Nothing printed on the licence names or codes another zone.
    html = pdf.render_html(cred)
    other_codes = {d["authority_uscc"] for d in zone.packaged_profile(DEMO)["departments"]}
    assert "洛阳" not in html and "Luoyang" not in html
    assert not any(code in html for code in other_codes)
    assert "开封市市场监督管理局" in html


# ---------------------------------------------------------------- no zone in code

# Python files that still name the demo zone, with the engineer who removes it. Data, demo
# loaders, fixtures, tests and migrations may name it; code may not.
STILL_NAMING_THE_ZONE: set[str] = set()


def _exempt(rel: str) -> bool:
    parts = rel.split("/")
    return "tests" in parts or "migrations" in parts or "data" in parts or parts[-1] in {"demo.py", "testing.py"}


def test_no_python_file_names_the_demo_zone():
    pattern = re.compile("洛阳|luoyang", re.IGNORECASE)
    naming = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if not _exempt(path.relative_to(SRC).as_posix()) and pattern.search(path.read_text(encoding="utf-8"))
    }
    assert naming == STILL_NAMING_THE_ZONE
