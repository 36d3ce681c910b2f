"""Hostile input: the API fuzzed from its own OpenAPI schema, uploads that lie about what they
are, and text that tries to break the pages.

Fuzzing: every operation of ``/api/v1/openapi.json`` (enumerated from the schema, so a new
operation is fuzzed the day it exists), with data that fits the schema and data that breaks it,
as an applicant and as the zone administrator. No response may be a server error or contradict
the schema (status code, content type, body). Bounded and derandomised so it fits CI and a
failure reproduces.
"""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from reliability import routes
from reliability.world import RAW_ID

pytestmark = pytest.mark.django_db

EXAMPLES = {"positive": 20, "negative": 15}


@pytest.fixture(scope="module")
def fuzz_schema():
    import schemathesis

    from reliability.wsgi import TestWSGIApp

    schema = schemathesis.openapi.from_dict(routes.schema())
    schema.app = TestWSGIApp()
    return schema


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _fuzz(fuzz_schema, world, operation, role: str, mode: str):
    from schemathesis import GenerationMode

    op = fuzz_schema[operation.path][operation.method]
    strategy = op.as_strategy(
        generation_mode=GenerationMode.NEGATIVE if mode == "negative" else GenerationMode.POSITIVE
    )
    # Half the time, aim at real objects (A's cases, tasks, licence) instead of random strings.
    real = {
        name: world.refs[key]
        for name, key in (
            ("number", "case_review"),
            ("task_id", "task_review"),
            ("identifier", "credential"),
            ("code", "service"),
            ("check_id", "task_review"),
        )
    }
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    checks = _checks()

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, aim=st.booleans())
    def run(case, aim):
        if aim and case.path_parameters and mode == "positive":
            for name in list(case.path_parameters):
                if name in real:
                    case.path_parameters[name] = real[name]
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (e.g. one unconstrained string in the
        # path): there is no negative case to send. Positive fuzzing still covered it.
        assert mode == "negative", f"{operation.key}: no valid request could be generated"


@pytest.mark.slow
@pytest.mark.parametrize("operation", routes.operations(), ids=lambda o: o.key)
def test_fuzz_operation(world, fuzz_schema, operation):
    _fuzz(fuzz_schema, world, operation, "applicant", "positive")
    if operation.spec.get("parameters") or operation.spec.get("requestBody"):  # something to break
        _fuzz(fuzz_schema, world, operation, "applicant", "negative")
    if not operation.public:
        _fuzz(fuzz_schema, world, operation, "admin", "positive")


# ---------------------------------------------------------------- uploads


def _png(width: int, height: int, data: bytes = b"") -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(data or b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _zip_bomb() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.txt", b"\x00" * (20 * 1024 * 1024))  # 20 MB of zeros, a few KB zipped
    return buf.getvalue()


def _pdf_flate_bomb() -> bytes:
    """A PDF whose one stream inflates to 50 MB: harmless unless someone inflates it."""
    stream = zlib.compress(b"0" * (50 * 1024 * 1024), 9)
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


HOSTILE_UPLOADS = [
    ("an executable named .pdf", "setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "wrong_type"),
    ("a script named .png", "photo.png", b"#!/bin/sh\nrm -rf /\n", "wrong_type"),
    ("HTML named .jpg", "id.jpg", b"<html><script>alert(1)</script></html>", "wrong_type"),
    ("a zip bomb named .pdf", "articles.pdf", _zip_bomb(), "wrong_type"),
    ("a truncated PDF", "articles.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "malformed"),
    ("a PDF with no objects", "articles.pdf", b"%PDF-1.4\n%%EOF\n", "malformed"),
    ("a PNG decompression bomb (60 megapixels)", "id.png", _png(10000, 6000), "too_many_pixels"),
    ("a PNG decompression bomb (4 gigapixels)", "id.png", _png(65535, 65535), "too_many_pixels"),
    ("a PNG with a broken checksum", "id.png", _png(1, 1)[:-5] + b"XXXXX", "malformed"),
    ("an empty file", "articles.pdf", b"", "empty"),
]


@pytest.mark.parametrize("label,name,content,code", HOSTILE_UPLOADS, ids=[u[0] for u in HOSTILE_UPLOADS])
def test_hostile_upload_is_refused_clearly(world, label, name, content, code):
    """Refused with 422, naming the field and the reason in Chinese and English; nothing kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zimao.cases.models import Material

    before = Material.objects.count()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['applicant']}")
    response = client.post("/api/v1/materials", {"key": "articles", "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 422, (label, response.status_code, response.content[:300])
    [error] = response.json()["errors"]
    assert error["code"] == code and error["field"] == "materials.articles"
    assert error["message_zh"] and error["message_en"] and error["message_zh"] != error["message_en"]
    assert Material.objects.count() == before


def test_oversize_upload_is_refused_before_it_is_kept(world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    big = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n" + b"0" * (2 * 1024 * 1024) + b"\n%%EOF\n"
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['applicant']}")
    response = client.post("/api/v1/materials", {"key": "articles", "file": SimpleUploadedFile("big.pdf", big)})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["code"] == "too_large" and "1 MB" in error["message_en"] and "1 MB" in error["message_zh"]


def test_a_flate_bomb_pdf_is_kept_as_bytes_never_inflated(world):
    """A PDF whose stream would inflate to 50 MB is stored as the few KB it is: zimao never
    decompresses what it keeps (officers' viewers do, in their own sandbox)."""
    from zimao.cases.services import upload_material

    bomb = _pdf_flate_bomb()
    material = upload_material(world.users["applicant"], "articles", "articles.pdf", bomb)
    assert material.size == len(bomb) < 200_000


def test_the_web_form_refuses_a_disguised_file_in_both_languages(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(world.users["applicant2"])
    url = "/apply/QYKB-001/materials/"
    fake = SimpleUploadedFile("articles.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    response = client.post(url, {"file-articles": fake}, HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    assert response.status_code == 422
    assert "judged by content" in text or "PDF, JPEG or PNG" in text


# ---------------------------------------------------------------- text fields

HOSTILE_TEXT = {
    "script": '<script>alert("xss")</script>',
    "attribute": '"><img src=x onerror=alert(1)>',
    "template": "{{ request.user.password }}{% debug %}",
    "sql": "'; DROP TABLE cases_case; --",
    "bidi": "\u202egnp.exe",
    "emoji": "🏢😀𠀀",
}
# All of them in one value, for fields long enough to take it (one submission per field).
HOSTILE_TEXT = {"all": "".join(HOSTILE_TEXT.values()), **HOSTILE_TEXT}


def _hostile_values(limit: int) -> dict:
    if len(HOSTILE_TEXT["all"]) <= limit:
        return {"all": HOSTILE_TEXT["all"]}
    return {k: v for k, v in HOSTILE_TEXT.items() if k != "all" and len(v) <= limit}


def _text_fields():
    """Every text field of every service form in the catalogue (enumerated from the data). A field
    many services share (the same section, key and limits: the pages draw it the same way) is
    tried in the first service that has it."""
    from zimao.catalog.forms import iter_fields
    from zimao.catalog.models import ServiceItem

    seen = set()
    for service in ServiceItem.objects.order_by("code"):
        for section, field in iter_fields(service.form):
            kind = field.get("type", "text")
            shape = (section["key"], field["key"], kind, field.get("max_length"), field.get("pattern"))
            if kind in ("text", "textarea") and shape not in seen:
                seen.add(shape)
                yield service, section, field


_NAMES = iter("".join(p) for p in __import__("itertools").product("松柏桦杉楠榕枫柳杏桂", repeat=3))


def _sample(spec: dict, uscc: str):
    """A valid value for a form field, from its definition (so every service can be applied for)."""
    import datetime as dt

    kind = spec.get("type", "text")
    choices = [c[0] if isinstance(c, (list, tuple)) else c for c in spec.get("choices", [])]
    if spec.get("default") not in (None, "", []):
        return spec["default"]
    if kind == "uscc":
        return uscc
    if choices:
        return choices[:1] if kind == "multichoice" else choices[0]
    return {
        "int": max(int(spec.get("min", 1)), 1),
        "decimal": str(max(float(spec.get("min", 1)), 1.0)),
        "bool": True,
        "date": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
        "id_number": "11010519491231002X",
        "phone": "13812345678",
        "division": "410305",
    }.get(kind, "洛阳市涧西区天津路8号")


def _application_for(world, service) -> dict:
    from zimao.catalog.forms import iter_fields
    from zimao.testing import ESTABLISHMENT, application

    if service.code == ESTABLISHMENT:  # the name must be new each time, and reviewed (a task page to look at)
        return application(next(_NAMES), registration={"articles": "custom"})
    if service.code == "RCEP-CO":  # a bill of goods the origin engine accepts, in English (Art. 3.17.3(c))
        from zimao.trade.tests.test_certificate_case import case_data

        data = case_data(world.refs["uscc"])
        data["third_party"] = {"name": "Hong Kong Trading Ltd.", "country": "HK"}
        return data
    from zimao.permits.tests.helpers import broad_scope

    data: dict = {}
    for section, spec in iter_fields(service.form):
        value = next(_NAMES) if spec["key"] == "trade_name" else _sample(spec, world.refs["uscc"])
        if spec["key"] == "business_scope":  # a bundle that registers the company: its permits in scope
            value = broad_scope()
        data.setdefault(section["key"], {})[spec["key"]] = value
    return data


def _apply_with(world, service, section, field, value, user="applicant"):
    """Apply for ``service`` as A (who owns a company), with ``value`` in one field."""
    from zimao.cases.services import submit, upload_material
    from zimao.testing import PDF

    data = _application_for(world, service)
    data.setdefault(section["key"], {})[field["key"]] = value
    owner = world.users[user]
    materials = {m["key"]: upload_material(owner, m["key"], f"{m['key']}.pdf", PDF).pk for m in service.materials}
    return submit(owner, service.code, data, materials=materials)


def test_control_characters_and_overlong_text_are_refused_naming_the_field(world):
    from zimao.core.errors import BusinessError

    fields = list(_text_fields())
    assert fields, "the catalogue has no text fields to test"
    for service, section, field in fields:
        path = f"{section['key']}.{field['key']}"
        limit = field.get("max_length", 200 if field.get("type", "text") == "text" else 2000)
        for bad, reason in (("abc\x00def", "control"), ("abc\x1b[31mdef", "control"), ("甲" * (limit + 1), "at most")):
            with pytest.raises(BusinessError) as err:
                _apply_with(world, service, section, field, bad)
            problems = {p.field: p for p in err.value.problems}
            assert path in problems, (path, bad[:10], [p.field for p in err.value.problems])
            assert reason in problems[path].en and problems[path].zh


def test_hostile_text_is_stored_as_typed_and_shown_escaped(world):
    """Script, attribute breaking, template syntax and SQL in every free-text field of every
    service: stored as typed and shown to the officer and the applicant escaped, never executed
    or interpreted — or refused naming the field."""
    from zimao.cases.models import Case
    from zimao.core.errors import BusinessError

    officer = Client()
    officer.force_login(world.users["admin"])
    applicant = Client()
    applicant.force_login(world.users["applicant"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['applicant']}")
    shown, refused, fields, unusable = set(), set(), set(), []
    for service, section, field in _text_fields():
        path = f"{section['key']}.{field['key']}"
        if field["key"] == "trade_name":
            continue  # the trade name has its own pattern (2–8 Chinese characters), tested elsewhere
        fields.add(path)
        limit = field.get("max_length", 200 if field.get("type", "text") == "text" else 2000)
        for name, value in _hostile_values(limit).items():
            try:
                case = _apply_with(world, service, section, field, value).case
            except BusinessError as exc:
                named = {p.field for p in exc.problems}
                if path in named:
                    refused.add(path)  # refused, naming the field: safe
                else:
                    unusable.append(f"{service.code} ({path}={name}): refused for {sorted(named)}")
                continue
            stored = Case.objects.get(pk=case.pk).data[section["key"]][field["key"]]
            assert stored == value.strip()
            shown.add(path)
            task = case.tasks.order_by("id").first()
            pages = [applicant.get(f"/cases/{case.number}/"), api.get(f"/api/v1/cases/{case.number}")]
            if task:
                pages.append(officer.get(f"/workbench/tasks/{task.pk}/"))
            for response in pages:
                assert response.status_code == 200, (service.code, response.request["PATH_INFO"])
                text = response.content.decode()
                assert "<script>alert" not in text and "<img src=x" not in text
            json.loads(pages[1].content)  # JSON stays JSON
            if task:
                officer_page = pages[2].content.decode()
                if name in ("script", "all"):
                    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in officer_page, path
                if name in ("template", "all"):
                    assert "{{ request.user.password }}" in officer_page  # shown as typed, not evaluated
    assert not unusable, "the test could not build a valid application (teach _sample):\n" + "\n".join(unusable[:20])
    assert fields <= shown | refused, f"fields never exercised: {fields - shown - refused}"
    assert shown, "no hostile value was ever accepted: nothing was shown"
    # the identity number never appears in full, hostile input or not
    assert RAW_ID not in officer.get("/workbench/").content.decode()


# ---------------------------------------------------------------- NUL and friends, everywhere

NASTY_STRINGS = ["nul\x00byte", "\x00", "line\r\nbreak", "\ud7ff\ufffe", "a" * 10_000]


def _strings_in(data, path=()):
    """Paths to every string in a JSON body."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _strings_in(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _strings_in(v, path + (i,))
    elif isinstance(data, str):
        yield path


def _replace(data, path, value):
    data = json.loads(json.dumps(data))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def test_nul_bytes_and_odd_strings_never_cause_a_server_error(world):
    """PostgreSQL refuses NUL in text; SQLite stores it. Either way the API must answer with a
    4xx, never a 500: every string of every operation's body (the policy table's valid bodies,
    so the request reaches the code that stores it), every path parameter and every query."""
    from reliability import policy
    from reliability.matrix import perform
    from reliability.world import resolve

    failures = []
    for op in routes.operations():
        for check in policy.API.get(op.key, []):
            role = next(
                (r for r in ("applicant", "admin", "reviewer", "clerk") if check.expect.get(r) == policy.OK), None
            )
            if role is None:
                continue
            variants = []
            if check.data:
                for path in _strings_in(resolve(check.data, world.refs)):
                    variants += [
                        (
                            f"body {'.'.join(map(str, path))}",
                            {"data": _replace(resolve(check.data, world.refs), path, s)},
                        )
                        for s in NASTY_STRINGS
                    ]
            for name in op.path_params:
                if name not in op.int_params:
                    variants += [(f"path {name}", {"args": {**check.args, name: s}}) for s in NASTY_STRINGS[:3]]
            variants.append(("query", {"query": {"view": "\x00", "limit": "\x00", "q": "\x00"}}))
            for label, change in variants:
                probe = policy.Check(
                    expect={},
                    method=check.method,
                    args=change.get("args", check.args),
                    data=change.get("data", check.data),
                    query=change.get("query", {}),
                    files=check.files,
                    setup=check.setup,
                )
                result = perform(
                    world, role, probe, lambda kw: op.path.format(**{k: _quote(v) for k, v in kw.items()}), api=True
                )
                if result.status >= 500:
                    failures.append(f"{op.key} {label} as {role}: {result.status}")
    assert not failures, "\n".join(failures)


def _quote(value):
    from urllib.parse import quote

    return quote(str(value), safe="")


def test_nul_bytes_in_pages_never_cause_a_server_error(world):
    """The same for every page: NUL in the path, the query and a posted form."""
    from reliability import policy
    from reliability.matrix import perform

    failures = []
    for page in routes.web_pages():
        for check in policy.PAGES.get(page.name, []):
            role = next(
                (r for r in ("applicant", "admin", "reviewer", "clerk", "anon") if check.expect.get(r) == policy.OK),
                None,
            )
            if role is None:
                continue
            args = {k: ("1" if k in page.int_params else "nul\x00byte") for k in page.params}
            data = dict.fromkeys(check.data or {}, "nul\x00byte") if check.method == "POST" else None
            probe = policy.Check(
                expect={},
                method=check.method,
                args=args,
                data=data,
                query={"q": "\x00", "next": "/\x00"},
                setup=check.setup,
            )
            result = perform(world, role, probe, lambda kw: page.url({k: _quote(v) for k, v in kw.items()}), api=False)
            if result.status >= 500:
                failures.append(f"{page.name} as {role}: {result.status}")
    assert not failures, "\n".join(failures)


def test_a_nul_character_is_refused_in_both_languages(world):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['applicant']}")
    response = client.post(
        "/api/v1/cases",
        '{"service": "QYKB-001", "data": {}, "mail_address": "a\\u0000b"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "nul_character" and "NUL" in error["message_en"] and "空字符" in error["message_zh"]
    assert Client().get("/cases/LY%00/").status_code == 400
    # an escaped backslash followed by "u0000" is ordinary text, not a NUL
    ok = client.post(
        "/api/v1/cases",
        '{"service": "QYKB-001", "data": {}, "mail_address": "a\\\\u0000b"}',
        content_type="application/json",
    )
    assert ok.status_code == 422  # judged on its merits (the form is empty), not refused at the edge


# ---------------------------------------------------------------- lone UTF-16 surrogates, everywhere

LONE = "x\ud800y"  # sent as the JSON escape "x\ud800y": valid JSON, not valid text


def _json_checks(world):
    """(operation, role, check) for every JSON-body operation the policy table can reach."""
    from reliability import policy

    for op in routes.operations():
        for check in policy.API.get(op.key, []):
            role = next(
                (r for r in ("applicant", "admin", "reviewer", "clerk") if check.expect.get(r) == policy.OK), None
            )
            if role and check.method != "GET" and check.data and not check.files:
                yield op, role, check


def test_a_lone_surrogate_in_any_json_string_of_any_operation_is_refused_naming_the_field(world):
    """Issue 12 item 1: on SQLite a lone surrogate in ``data`` was stored and then failed every
    engine run; on PostgreSQL it was a 500. Every string of every operation's body — and a key
    and a value deep inside the free-form objects — is refused at the edge with a bilingual 422
    naming that field, before any view runs (so nothing is stored)."""
    from reliability import policy
    from reliability.matrix import perform
    from reliability.world import resolve

    failures, probed = [], set()
    for op, role, check in _json_checks(world):
        body = resolve(check.data, world.refs)
        variants = [(".".join(map(str, path)), _replace(body, path, LONE)) for path in _strings_in(body)]
        for name, value in body.items():
            if isinstance(value, dict):  # free-form objects (data, bom): a nested key and a nested value
                # a key is named escaped (the answer itself must be valid UTF-8)
                variants.append((f"{name}.deep.x\\ud800y", {**body, name: {**value, "deep": {LONE: "v"}}}))
                variants.append((f"{name}.deep.1", {**body, name: {**value, "deep": ["ok", LONE]}}))
        for field, data in variants:
            probe = policy.Check(expect={}, method=check.method, args=check.args, data=data, setup=check.setup)
            result = perform(
                world, role, probe, lambda kw: op.path.format(**{k: _quote(v) for k, v in kw.items()}), api=True
            )
            probed.add(op.key)
            try:
                errors = json.JSONDecoder().raw_decode(result.text)[0]["errors"]
            except (ValueError, KeyError, TypeError):
                errors = []
            if result.status != 422 or not any(
                e["code"] == "unencodable_character" and e["field"] == field and e["message_zh"] and e["message_en"]
                for e in errors
            ):
                failures.append(f"{op.key} {field} as {role}: {result.status} {result.text[:120]}")
    assert not failures, "\n".join(failures[:30])
    # the operations the review named are among those probed
    assert {"POST /api/v1/cases", "POST /api/v1/permits/commitments"} <= probed
    assert any(key.endswith("/origin/check") for key in probed), sorted(probed)


def test_a_lone_surrogate_is_refused_in_queries_and_page_forms_and_a_pair_is_a_character(world):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens['applicant']}")
    body = '{"service": "QYKB-001", "data": {"name": {"trade_name": "\\ud800"}}}'
    response = client.post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (
        error["field"] == "data.name.trade_name"
        and "代理项" in error["message_zh"]
        and "surrogate" in error["message_en"]
    )
    # a well-formed escaped pair is one real character (😀), judged on its merits
    pair = client.post(
        "/api/v1/cases",
        '{"service": "QYKB-001", "data": {"name": {"trade_name": "\\ud83d\\ude00"}}}',
        content_type="application/json",
    )
    assert pair.status_code == 422 and all(e["code"] != "unencodable_character" for e in pair.json()["errors"])
    # query strings and posted forms: the percent-encoded UTF-8 of a surrogate (ED A0 80) is not
    # valid UTF-8 and decodes to U+FFFD, so no surrogate reaches a view; nothing fails either
    assert client.get("/api/v1/tasks", {"service": "%ED%A0%80"}).status_code < 500
    web = Client()
    web.force_login(world.users["applicant"])
    answer = web.post(
        f"/cases/{world.refs['case_review']}/withdraw/",
        "reason=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code < 500


def test_a_surrogate_in_a_service_form_is_refused_even_without_the_http_edge(world):
    """Defence in depth: the form engine refuses one too (callers that are not HTTP requests)."""
    from zimao.catalog import forms
    from zimao.catalog.services import get_service

    _cleaned, problems = forms.validate(
        get_service("QYKB-001").form, {"name": {"trade_name": "智\ud800远"}}, partial=True
    )
    assert [(p.field, p.code) for p in problems] == [("name.trade_name", "unencodable_character")]
