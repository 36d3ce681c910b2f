"""Hardening: passwords, log-in throttling, CSRF, headers and CSP, cookies over TLS, personal data
encrypted at rest and masked everywhere, signing-key rotation end to end.

Each control is stated with where it lives in docs/security.md, which names the test here that
proves it.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.template import engines
from django.test import Client
from django.utils import timezone

from reliability import policy, routes
from reliability.conftest import ROOT, zimao_env
from reliability.matrix import perform
from reliability.world import RAW_ID, RAW_PHONE

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "zimao-demo-2026"


# ---------------------------------------------------------------- passwords


def test_passwords_are_hashed_with_argon2(world, settings):
    from django.contrib.auth.hashers import get_hasher, make_password

    from zimao import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS  # the tests' fast hasher off
    assert get_hasher().algorithm == "argon2"
    response = Client().post(
        "/register/",
        {
            "username": "hashed",
            "first_name": "钱八",
            "id_number": "440524199001010018",
            "password1": "a-Long-passw0rd!",
            "password2": "a-Long-passw0rd!",
        },
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="hashed").password.startswith("argon2$argon2id$")
    # a legacy PBKDF2 hash is upgraded to Argon2 at the next successful log-in
    user = world.users["applicant2"]

    user.password = make_password(DEMO_PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert Client().post("/login/", {"username": user.username, "password": DEMO_PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


# ---------------------------------------------------------------- log-in throttling


def _login(client, username, password, address="203.0.113.7", path="/login/"):
    return client.post(
        path, {"username": username, "password": password}, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )


def test_five_failures_refuse_the_sixth_log_in_even_with_the_right_password(world):
    from zimao.core.models import ThrottleEvent

    client = Client()
    for _ in range(5):
        response = _login(client, "applicant", "wrong-password")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = _login(client, "applicant", DEMO_PASSWORD)
    text = response.content.decode()
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "登录失败次数过多" in text and "Too many failed log-ins" in text  # refused, in both languages
    # the refusal does not extend the lock-out (5 failures, each counted per username+address and
    # per address), and nothing stores the username or the address
    assert ThrottleEvent.objects.count() == 10
    assert not ThrottleEvent.objects.filter(key__icontains="applicant").exists()
    assert not ThrottleEvent.objects.filter(key__icontains="203.0.113").exists()
    # another address, or another username from this address, is not affected
    assert _login(Client(), "applicant", DEMO_PASSWORD, address="198.51.100.1").status_code == 302
    assert _login(Client(), "applicant2", DEMO_PASSWORD).status_code == 302
    # fifteen minutes after the failures, the right password works again
    ThrottleEvent.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=1))
    assert _login(client, "applicant", DEMO_PASSWORD).status_code == 302


def test_the_admin_log_in_is_throttled_too(world):
    client = Client()
    for _ in range(5):
        _login(client, "admin", "wrong-password", path="/admin/login/")
    response = _login(client, "admin", DEMO_PASSWORD, path="/admin/login/")
    assert response.status_code == 200 and "Too many failed log-ins" in response.content.decode()


def test_a_successful_log_in_clears_earlier_failures(world):
    from zimao.core.models import ThrottleEvent

    client = Client()
    for _ in range(4):
        _login(client, "applicant", "wrong-password")
    assert _login(client, "applicant", DEMO_PASSWORD).status_code == 302
    # that username's failures are forgotten; the address's count (other usernames) stays
    from zimao.core.throttle import address_key

    assert list(ThrottleEvent.objects.values_list("key", flat=True).distinct()) == [address_key("203.0.113.7")]


def test_one_address_guessing_across_many_usernames_is_refused(world, settings):
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 6
    for i in range(6):  # six usernames, one failure each: no single pair reaches its limit of 5
        _login(Client(), f"nobody{i}", "wrong-password")
    client = Client()
    response = _login(client, "applicant", DEMO_PASSWORD)
    text = response.content.decode()
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "此地址登录失败次数过多" in text and "Too many failed log-ins from this address" in text
    # another address is not affected
    assert _login(Client(), "applicant", DEMO_PASSWORD, address="198.51.100.1").status_code == 302


def _register(client, username, address="203.0.113.9"):
    from zimao.testing import resident_id

    return client.post(
        "/register/",
        {
            "username": username,
            "first_name": "张三",
            "id_number": resident_id(int(username[-1]) + 100),
            "phone": "",
            "password1": "a-Long-passphrase-2026",
            "password2": "a-Long-passphrase-2026",
        },
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )


def test_registration_is_rate_limited_per_address(world, settings):
    from django.contrib.auth import get_user_model

    from zimao.core.models import ThrottleEvent

    settings.REGISTRATION_LIMIT = 2
    assert _register(Client(), "spam1").status_code == 302
    assert _register(Client(), "spam2").status_code == 302
    response = _register(Client(), "spam3")
    text = response.content.decode()
    assert response.status_code == 429
    assert "注册账号过于频繁" in text and "Too many accounts registered from this address" in text
    users = get_user_model().objects
    assert not users.filter(username="spam3").exists()
    assert _register(Client(), "spam3", address="198.51.100.2").status_code == 302  # another address may
    # an hour later the address may register again
    ThrottleEvent.objects.update(at=timezone.now() - timedelta(hours=1, seconds=1))
    assert _register(Client(), "spam4").status_code == 302


# ---------------------------------------------------------------- CSRF


def test_every_page_refuses_a_post_without_its_csrf_token(world):
    """Enumerated from the resolver: a logged-in browser's POST without the token is refused
    (403) by every page, whatever the view does with POST."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["admin"])
    failures = []
    for page in routes.web_pages() + tuple(p for p in routes.admin_pages() if p.name == "admin:login"):
        kwargs = {k: page.sample(k) for k in page.params}
        response = client.post(page.url(kwargs), {"a": "b"})
        if response.status_code != 403:
            failures.append(f"{page.name}: {response.status_code}")
    assert not failures, "pages that accept a POST without a CSRF token:\n" + "\n".join(failures)


def test_the_api_needs_the_csrf_token_with_a_session_but_not_with_a_bearer_token(world):
    session = Client(enforce_csrf_checks=True)
    session.force_login(world.users["applicant"])
    failures = []
    for op in routes.operations():
        if op.method == "GET" or op.public:
            continue
        kwargs = {k: (1 if k in op.int_params else "x") for k in op.path_params}
        response = session.generic(op.method, op.path.format(**kwargs), "{}", content_type="application/json")
        if response.status_code != 403:
            failures.append(f"{op.key} with a session and no CSRF token: {response.status_code}")
    assert not failures, "\n".join(failures)
    bearer = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {world.tokens['applicant']}")
    response = bearer.post(f"/api/v1/cases/{world.refs['case_review']}/withdraw", "{}", content_type="application/json")
    assert response.status_code == 200  # a bearer token is not ambient: no CSRF needed


# ---------------------------------------------------------------- headers, CSP and templates


def test_every_response_carries_the_security_headers_and_csp(world):
    """Pages, the API, static files, errors and refusals at the edge all carry them (the
    matrix checks every route and role; these are the responses the matrix does not make)."""
    from reliability.matrix import REQUIRED_HEADERS

    client = Client(raise_request_exception=False)
    for path in ("/static/web/zimao.js", "/no-such-page/", "/api/v1/no-such-operation", "/cases/%00/", "/healthz"):
        response = client.get(path)
        for name, value in REQUIRED_HEADERS.items():
            assert value in response.headers.get(name, ""), (path, name, response.headers.get(name))
    csp = client.get("/").headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp  # neither scripts nor styles
    assert "unsafe-eval" not in csp


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/(?:ld\+)?json)[^>]*>", re.IGNORECASE)
HANDLER_ATTR = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE | re.DOTALL)
JS_URL = re.compile(r"(?:href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)
HX_EVAL = re.compile(r"hx-(?:vals|headers)\s*=\s*[\"']\s*js:", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[a-zA-Z][^>]*?\sstyle\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


def _template_files() -> list[Path]:
    dirs = set()
    for engine in engines.all():
        dirs.update(Path(d) for d in getattr(engine, "template_dirs", []))
    # zimao's own templates; third-party ones in use are judged by what they render (below)
    own = ROOT / "src"
    return sorted(p for d in dirs if d.exists() and own in d.parents for p in d.rglob("*.html"))


def inline_script_problems(html: str) -> list[str]:
    found = [f"inline <script>: {m.group(0)[:80]}" for m in INLINE_SCRIPT.finditer(html)]
    found += [f"event-handler attribute {m.group(1)}=" for m in HANDLER_ATTR.finditer(html)]
    found += ["javascript: URL" for _ in JS_URL.finditer(html)]
    found += ["htmx js: evaluation" for _ in HX_EVAL.finditer(html)]
    return found


def inline_style_problems(html: str) -> list[str]:
    """``style-src 'self'``: a style attribute or <style> element in a page is refused."""
    return [f"style attribute: {m.group(0)[:80]}" for m in STYLE_ATTR.finditer(html)] + [
        "<style> element" for _ in STYLE_ELEMENT.finditer(html)
    ]


def _printed_only(path: Path) -> bool:
    # Templates WeasyPrint turns into PDFs never reach a browser: their styles are not under the CSP.
    return "pdf" in path.stem or "pdf" in path.parent.name


def test_no_template_has_inline_scripts_or_event_handlers():
    """Every template of every installed app (enumerated from the template engine): no inline
    script bodies, no on* handler attributes, no javascript: URLs, no inline styles outside the
    PDF templates — the CSP would block them and the page would silently stop working."""
    files = _template_files()
    assert len(files) > 20, "the template scan found too few templates to be looking in the right place"
    failures = [
        f"{f.relative_to(ROOT)}: {p}" for f in files for p in inline_script_problems(f.read_text(encoding="utf-8"))
    ]
    failures += [
        f"{f.relative_to(ROOT)}: {p}"
        for f in files
        if not _printed_only(f)
        for p in inline_style_problems(f.read_text(encoding="utf-8"))
    ]
    assert not failures, "\n".join(failures)


def test_no_python_code_emits_inline_scripts():
    """HTML built in Python (format_html, mark_safe) is held to the same rule."""
    failures = []
    for path in (ROOT / "src" / "zimao").rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for problem in inline_script_problems(text):
            failures.append(f"{path.relative_to(ROOT)}: {problem}")
    assert not failures, "\n".join(failures)


def test_rendered_pages_have_no_inline_scripts(world):
    """What the templates render, for every page the policy lets someone open."""
    failures = []
    for page in routes.web_pages():
        for check in policy.PAGES.get(page.name, []):
            if check.method != "GET":
                continue
            role = next(
                (r for r in ("applicant", "admin", "reviewer", "clerk", "anon") if check.expect[r] == policy.OK), None
            )
            if role is None:
                continue
            result = perform(world, role, check, page.url, api=False)
            if "html" in result.headers.get("Content-Type", ""):
                failures += [
                    f"{page.name} as {role}: {p}"
                    for p in inline_script_problems(result.text) + inline_style_problems(result.text)
                ]
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- TLS


def _settings_under(env_extra: dict) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_HTTPONLY', 'FIELD_ENCRYPTION_KEY', "
        "'SECRET_KEY')}))"
    )
    tmp = Path(settings.DATA_DIR)
    env = zimao_env(tmp, "sqlite:///:memory:", **env_extra)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cookies_are_secure_and_hsts_is_sent_when_served_over_tls():
    plain = _settings_under({})
    assert not plain["SESSION_COOKIE_SECURE"] and plain["SESSION_COOKIE_HTTPONLY"]
    tls = _settings_under({"ZIMAO_HTTPS": "1"})
    assert tls["SESSION_COOKIE_SECURE"] and tls["CSRF_COOKIE_SECURE"] and tls["SESSION_COOKIE_HTTPONLY"]
    assert tls["SECURE_HSTS_SECONDS"] >= 31536000
    assert tls["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_under_tls_the_cookies_carry_the_secure_flag(world, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    client = Client()
    response = client.get("/login/", secure=True)
    assert response.cookies["csrftoken"]["secure"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    response = client.post("/login/", {"username": "applicant", "password": DEMO_PASSWORD}, secure=True)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


# ---------------------------------------------------------------- personal data at rest


def _every_stored_value():
    """Every cell of every table of every installed model, read raw (no field decrypts it)."""
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed})
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cur.fetchall():
                for cell in row:
                    if cell is None:
                        continue
                    if isinstance(cell, (bytes, memoryview)):
                        yield table, bytes(cell).decode("utf-8", "replace")
                    else:
                        yield (
                            table,
                            cell if isinstance(cell, str) else json.dumps(cell, ensure_ascii=False, default=str),
                        )


def test_identity_and_phone_numbers_are_encrypted_at_rest(world):
    """After applications, a company, a licence, a registration with a phone number and an audit
    trail of all of it: no table of any app holds a plain identity or phone number."""
    client = Client()
    response = client.post(
        "/register/",
        {
            "username": "newcomer",
            "first_name": "赵六",
            "id_number": "110105198001010024",
            "phone": RAW_PHONE,
            "password1": "a-Long-passw0rd!",
            "password2": "a-Long-passw0rd!",
        },
    )
    assert response.status_code == 302
    cells = 0
    for table, value in _every_stored_value():
        cells += 1
        assert RAW_ID not in value and RAW_PHONE not in value, f"{table} holds a plain personal number"
        assert "110105198001010024" not in value, f"{table} holds the registered identity number in plain"
    assert cells > 500
    from zimao.web.models import Profile

    assert Profile.objects.get(user__username="newcomer").phone == RAW_PHONE  # …and decrypts for its use


def test_the_field_key_comes_from_the_environment_and_a_wrong_key_fails_loudly(world, settings):
    from zimao.core import protected

    assert (
        _settings_under({"ZIMAO_FIELD_KEY": "from-the-environment"})["FIELD_ENCRYPTION_KEY"] == "from-the-environment"
    )
    token = protected.encrypt_text(RAW_ID)
    assert RAW_ID not in token and protected.decrypt_text(token) == RAW_ID
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        protected.decrypt_text(token)
    settings.FIELD_ENCRYPTION_KEY = "from-the-environment"
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(ValueError):
        protected.decrypt_text(tampered)


def test_personal_numbers_are_masked_in_every_page_of_the_journey_and_in_the_logs(world, caplog):
    """An applicant registers, fills in every section of the form (identity and phone number
    included), uploads, checks, submits, follows the case and opens the licence; the officer and
    the administrator look at it. No page, export, API answer or log line shows either number."""
    from zimao.catalog.services import get_service
    from zimao.testing import PDF, application

    caplog.set_level(logging.DEBUG)
    service = get_service("QYKB-001")
    data = application("橡树")
    client = Client(raise_request_exception=False)
    bodies = []

    def seen(response):
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        bodies.append((response.request["PATH_INFO"], raw.decode("utf-8", "replace")))
        return response

    seen(
        client.post(
            "/register/",
            {
                "username": "journey",
                "first_name": "周七",
                "id_number": "320102198505050038",
                "phone": RAW_PHONE,
                "password1": "a-Long-passw0rd!",
                "password2": "a-Long-passw0rd!",
            },
        )
    )
    assert seen(client.post("/login/", {"username": "journey", "password": "a-Long-passw0rd!"})).status_code == 302
    base = f"/apply/{service.code}/"
    seen(client.get(base))
    for section in service.form["sections"]:
        values = data.get(section["key"], {})
        post = {}
        for field in section["fields"]:
            value = values.get(field["key"], field.get("default", ""))
            if isinstance(value, list):
                post[field["key"]] = value
            elif value not in (None, ""):
                post[field["key"]] = str(value)
        seen(client.post(f"{base}{section['key']}/", post))
        seen(client.get(f"{base}{section['key']}/"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    seen(
        client.post(
            f"{base}materials/",
            {f"file-{m['key']}": SimpleUploadedFile(f"{m['key']}.pdf", PDF) for m in service.materials},
        )
    )
    seen(client.get(f"{base}check/"))
    response = seen(client.post(f"{base}check/", {"delivery_method": "electronic", "idempotency_key": "journey-1"}))
    assert response.status_code == 302, bodies[-1][1][:2000]
    number = response["Location"].rstrip("/").split("/")[-2]
    for path in (f"/cases/{number}/submitted/", f"/cases/{number}/", "/cases/"):
        seen(client.get(path))
    from zimao.cases.models import Case

    case = Case.objects.get(number=number)
    identifier = case.outputs[0]["identifier"]
    for path in (
        f"/licences/{identifier}/",
        f"/verify/{identifier}/",
        f"/api/v1/cases/{number}",
        f"/api/v1/cases/{number}/history",
        "/api/v1/licences/mine",
        f"/api/v1/licences/verify/{identifier}",
    ):
        seen(client.get(path))
    from zimao.registry.models import MarketEntity

    admin = Client(raise_request_exception=False)
    admin.force_login(world.users["admin"])
    task = case.tasks.order_by("id").first()
    entity = MarketEntity.objects.get(case_number=number)
    for path in (
        f"/workbench/tasks/{task.pk}/",
        "/workbench/?view=done",
        f"/licences/{identifier}/",
        f"/licences/{identifier}/pdf/",
        "/admin/registry/marketentity/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/core/auditevent/",
        f"/admin/registry/marketentity/{entity.pk}/change/",
    ):
        seen(admin.get(path))
    assert len(bodies) > 20
    for path, text in bodies:
        assert RAW_ID not in text, f"{path} shows the identity number"
        assert RAW_PHONE not in text, f"{path} shows the phone number"
    assert "1101**********002X" in "".join(t for _, t in bodies)  # the mask is what people see
    logged = "\n".join(r.getMessage() + " " + str(r.args) for r in caplog.records)
    assert RAW_ID not in logged and RAW_PHONE not in logged


# ---------------------------------------------------------------- signing keys


def test_licences_signed_with_a_rotated_key_still_verify_and_the_key_can_be_retired(world):
    """A business licence signed with key 1; rotation (``zimao keys rotate``) makes key 2 sign
    and key 1 only verify; both licences verify on the public page, the API and offline with
    the JWKS; key 1 never signs again; revoking key 1 (compromise) makes exactly its licences
    not genuine."""
    from django.core.management import call_command
    from joserfc import jws
    from joserfc.jwk import KeySet

    from zimao.core import signing
    from zimao.core.models import SigningKey
    from zimao.licences.models import Credential
    from zimao.testing import submit

    first = Credential.objects.get(identifier=world.refs["credential"])
    key1 = first.kid
    call_command("keys", "rotate", "--actor", "admin")
    key2 = SigningKey.objects.get(status=SigningKey.Status.ACTIVE).kid
    assert key2 != key1 and SigningKey.objects.get(kid=key1).status == SigningKey.Status.RETIRED
    second = Credential.objects.get(identifier=submit(world.users["applicant2"], "乌桕").case.outputs[0]["identifier"])
    assert second.kid == key2
    public = Client()
    for cred in (first, second):
        assert public.get(f"/api/v1/licences/verify/{cred.identifier}").json()["genuine"] is True
        page = public.get(f"/verify/{cred.identifier}/")
        assert page.status_code == 200
        # offline: the published JWKS alone verifies the signature
        keys = KeySet.import_key_set(public.get("/.well-known/jwks.json").json())
        jws.deserialize_compact(cred.jws, keys.get_by_kid(cred.kid), algorithms=["EdDSA", "Ed25519"])
    assert {k["kid"] for k in public.get("/api/v1/licences/jwks").json()["keys"]} >= {key1, key2}
    # the retired key never signs again
    assert signing.token_header(signing.sign_jws({"x": 1}))["kid"] == key2
    # compromise of key 1: its licence stops verifying, the other does not
    call_command("keys", "revoke", key1)
    assert public.get(f"/api/v1/licences/verify/{first.identifier}").json()["genuine"] is False
    assert public.get(f"/verify/{first.identifier}/").status_code == 404
    assert public.get(f"/api/v1/licences/verify/{second.identifier}").json()["genuine"] is True
    assert key1 not in {k["kid"] for k in public.get("/api/v1/licences/jwks").json()["keys"]}
    from zimao.core import audit

    assert audit.verify().ok
