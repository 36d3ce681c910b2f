"""The API as an integrating bank or agency meets it: a Python client generated from the published
schema by a common generator (``openapi-python-client``), driving a whole 企业开办 journey against
a live server.

The client is generated at test time, from ``/api/v1/openapi.json`` as the live server publishes
it, into a temporary folder (offline: the generator only reads the schema file). So a schema
that drifts from the code — a wrong component, a missing status, a renamed operation — fails
here the way it would fail an integrator: the generated models cannot build the request or
parse the answer.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from zimao.core.apiauth import issue_token
from zimao.testing import ESTABLISHMENT, PDF, application

PACKAGE = "zimao_client"
# PDFs (application/pdf) are files to the generator once mapped to octet-stream, its one binary type;
# docs/api.md gives integrators the same line.
CONFIG = (
    "post_hooks: []\nproject_name_override: zimao_client\npackage_name_override: zimao_client\n"
    "content_type_overrides:\n  application/pdf: application/octet-stream\n"
)


def generator() -> str:
    """The generator installed beside this interpreter (the test extras), else on PATH."""
    beside = Path(sys.executable).parent / "openapi-python-client"
    found = str(beside) if beside.exists() else shutil.which("openapi-python-client")
    if not found:
        pytest.fail("openapi-python-client is not installed: make install (it is in the test extras)")
    return found


@pytest.fixture(scope="session")
def generated_client(live_server, django_db_setup, django_db_blocker, tmp_path_factory):
    """The ``zimao_client`` package generated from the live server's schema, imported (once a session)."""
    with django_db_blocker.unblock():  # the server's middleware may read the database (session scope: no db fixture)
        schema = httpx.get(f"{live_server.url}/api/v1/openapi.json", timeout=30).raise_for_status().json()
    root = tmp_path_factory.mktemp("generated-client")
    (root / "openapi.json").write_text(json.dumps(schema), encoding="utf-8")
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    done = subprocess.run(
        [
            generator(),
            "generate",
            "--path",
            str(root / "openapi.json"),
            "--meta",
            "none",
            "--config",
            str(root / "config.yml"),
            "--output-path",
            str(root / PACKAGE),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # The generator skips what it cannot understand with a warning and still exits 0: any warning
    # means an integrator would get a client with holes in it.
    assert "warning" not in output.lower() and "could not" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_generated_client_drives_an_establishment_from_upload_to_verified_licence(generated_client, live_server, zone):
    client_mod = generated_client

    def api(name):
        return _module(f"api.{name}")

    models = _module("models")
    types = _module("types")

    applicant = client_mod.AuthenticatedClient(
        base_url=live_server.url, token=issue_token(zone.applicant), raise_on_unexpected_status=True
    )
    reviewer = client_mod.AuthenticatedClient(
        base_url=live_server.url, token=issue_token(zone.reviewer), raise_on_unexpected_status=True
    )
    public = client_mod.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # The public guide says which materials the service needs.
    guide = api("catalogue.get_service").sync(client=public, code=ESTABLISHMENT)
    assert isinstance(guide, models.ServiceDetailOut), guide
    needed = [m["key"] for m in guide.materials if m["required"]]
    assert needed == ["articles", "id_copy", "premises"]

    # Upload each required material (multipart, through the generated form model).
    materials = {}
    for key in needed:
        body = models.UploadMaterialMultiPartBodyParams(
            key=key, file=types.File(payload=io.BytesIO(PDF), file_name=f"{key}.pdf", mime_type="application/pdf")
        )
        uploaded = api("cases.upload_material").sync_detailed(client=applicant, body=body)
        assert uploaded.status_code == 201, uploaded.content
        assert isinstance(uploaded.parsed, models.MaterialOut) and uploaded.parsed.key == key
        materials[key] = uploaded.parsed.id

    # Submit 企业开办 with custom articles of association, so an officer must review it.
    form = application(trade_name="生成", registration={"articles": "custom"})
    request = models.CaseApplicationIn.from_dict(
        {"service": ESTABLISHMENT, "data": form, "materials": materials, "delivery_method": "electronic"}
    )
    submitted = api("cases.submit_case").sync_detailed(client=applicant, body=request, idempotency_key="gen-client-1")
    assert submitted.status_code == 201, submitted.content
    case = submitted.parsed
    assert isinstance(case, models.CaseOut) and case.service == ESTABLISHMENT
    assert case.status != "delivered"

    # A repeated request (the same Idempotency-Key) is answered with the same case, not a second one.
    again = api("cases.submit_case").sync_detailed(client=applicant, body=request, idempotency_key="gen-client-1")
    assert again.status_code == 200 and again.parsed.number == case.number
    assert [c.number for c in api("cases.list_my_cases").sync(client=applicant)] == [case.number]

    # Bad input comes back as the bilingual error model, naming the field.
    refused = api("cases.submit_case").sync_detailed(
        client=applicant, body=models.CaseApplicationIn.from_dict({"service": ESTABLISHMENT, "data": {}})
    )
    assert refused.status_code == 422 and isinstance(refused.parsed, models.ErrorOut)
    assert refused.parsed.errors and refused.parsed.errors[0].message_zh and refused.parsed.errors[0].message_en

    # The officer finds the task in the department's worklist and approves it.
    tasks = api("cases.list_tasks").sync(client=reviewer)
    [task] = [t for t in tasks if t.case == case.number]
    decided = api("cases.decide_task").sync(
        client=reviewer, task_id=task.id, body=models.DecisionIn(outcome=models.DecisionInOutcome.APPROVE)
    )
    assert isinstance(decided, models.TaskOut) and decided.status == "approved"

    # The applicant follows the case to delivery: the business licence is out, electronically.
    followed = api("cases.get_case").sync(client=applicant, number=case.number)
    assert followed.status == "delivered" and followed.status_zh == "已办结"
    licence = next(o for o in followed.outputs if o.kind == "business_licence")
    history = api("cases.get_case_history").sync(client=applicant, number=case.number)
    assert history[0].action == "case.submitted"

    # Anyone verifies the licence by its identifier.
    verified = api("licences.verify_licence").sync(client=public, identifier=licence.identifier)
    assert isinstance(verified, models.VerificationOut)
    assert verified.genuine and verified.current and verified.status == "valid"

    # And offline, as a bank would: the holder's signed copy against the published keys (PyJWT).
    import jwt

    [signed] = [
        c for c in api("licences.list_my_licences").sync(client=applicant) if c.identifier == licence.identifier
    ]
    published = api("licences.get_signing_keys").sync(client=public)
    key = next(k for k in jwt.PyJWKSet.from_dict(published.to_dict()).keys if k.key_id == signed.kid)
    claims = jwt.decode(signed.jws, key, algorithms=["EdDSA", "Ed25519"])
    assert claims["identifier"] == licence.identifier and claims["holder"]["uscc"] == signed.holder_uscc


def test_generated_client_saves_resumes_and_deletes_a_draft(generated_client, live_server, zone):
    """暂存草稿 as an integrator's software keeps one: save, resume (identity numbers masked),
    list, delete; submitting the application removes the draft."""
    models = _module("models")
    types = _module("types")

    def api(name):
        return _module(f"api.{name}")

    me = generated_client.AuthenticatedClient(
        base_url=live_server.url, token=issue_token(zone.applicant), raise_on_unexpected_status=True
    )
    form = application(trade_name="草稿")
    body = models.DraftIn.from_dict({"data": {"name": form["name"], "registration": form["registration"]}})
    saved = api("cases.save_draft").sync_detailed(client=me, service_code=ESTABLISHMENT, body=body)
    assert saved.status_code == 201 and isinstance(saved.parsed, models.DraftOut), saved.content
    assert saved.parsed.data["registration"]["legal_rep_id"] == "1101**********002X"
    assert "steps" in saved.parsed.incomplete_sections and not saved.parsed.complete
    again = api("cases.save_draft").sync_detailed(client=me, service_code=ESTABLISHMENT, body=body)
    assert again.status_code == 200
    resumed = api("cases.get_draft").sync(client=me, service_code=ESTABLISHMENT)
    assert resumed.data["name"]["trade_name"] == "草稿"
    assert [d.service for d in api("cases.list_my_drafts").sync(client=me)] == [ESTABLISHMENT]

    deleted = api("cases.delete_draft").sync_detailed(client=me, service_code=ESTABLISHMENT, discard_uploads=True)
    assert deleted.status_code == 204
    gone = api("cases.get_draft").sync_detailed(client=me, service_code=ESTABLISHMENT)
    assert gone.status_code == 404 and isinstance(gone.parsed, models.ErrorOut)
    assert gone.parsed.errors[0].message_zh and gone.parsed.errors[0].message_en

    # Saved again with its uploads, then sent: the draft is gone, its uploads are on the case.
    materials = {}
    for key in ("articles", "id_copy", "premises"):
        upload = models.UploadMaterialMultiPartBodyParams(
            key=key, file=types.File(payload=io.BytesIO(PDF), file_name=f"{key}.pdf", mime_type="application/pdf")
        )
        materials[key] = api("cases.upload_material").sync(client=me, body=upload).id
    whole = models.DraftIn.from_dict({"data": form, "materials": materials})
    assert api("cases.save_draft").sync(client=me, service_code=ESTABLISHMENT, body=whole).complete
    request = models.CaseApplicationIn.from_dict({"service": ESTABLISHMENT, "data": form, "materials": materials})
    assert api("cases.submit_case").sync_detailed(client=me, body=request).status_code == 201
    assert api("cases.list_my_drafts").sync(client=me) == []


def test_the_generated_client_knows_every_operation_by_its_readable_name(generated_client):
    """One generated module per operationId, in one package per ASCII tag (never ``licences_电子证照``)."""
    import re

    root = Path(generated_client.__file__).parent
    schema = json.loads((root.parent / "openapi.json").read_text(encoding="utf-8"))
    missing = []
    for _path, item in schema["paths"].items():
        for spec in item.values():
            module = re.sub(r"(?<!^)(?=[A-Z])", "_", spec["operationId"]).lower()
            if not (root / "api" / spec["tags"][0] / f"{module}.py").exists():
                missing.append(f"{spec['tags'][0]}/{module}")
    assert not missing, missing
