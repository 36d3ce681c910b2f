"""Running one policy check as one role, and judging the response.

Every request runs in a savepoint that is rolled back, so the matrix can withdraw, decide and
rate without one check changing the next. Besides the outcome, every response is searched for
things it must never contain (identity numbers for anyone; applicant A's private data for
people who may not see it) and for the security headers every response carries.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client

from reliability import policy
from reliability.world import Ref, World, resolve

REQUIRED_HEADERS = {
    "Content-Security-Policy": "script-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass
class Result:
    outcome: str
    status: int
    location: str
    text: str
    headers: dict
    supplied: frozenset = frozenset()  # what the request itself carried: echoing it back is no leak


def login_paths() -> tuple[str, ...]:
    return (resolve_url(settings.LOGIN_URL), "/admin/login/")


def classify(status: int, location: str) -> str:
    if status in (301, 302, 303, 307, 308):
        return policy.LOGIN if location.split("?")[0] in login_paths() else policy.OK
    if status == 401:
        return policy.LOGIN
    if status == 403:
        return policy.FORBIDDEN
    if status == 404:
        return policy.HIDDEN
    if status == 405:
        return policy.METHOD
    if status >= 500:
        return f"server error {status}"
    return policy.OK


def body_text(response) -> str:
    """Everything a reader could get out of the response: text, JSON, a workbook's cells."""
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if raw[:4] == b"PK\x03\x04":  # xlsx and other zip containers: read every member
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        except zipfile.BadZipFile:
            pass
    text = raw.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:  # JSON may escape non-ASCII: search the decoded form too
            text += "\n" + json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            pass
    return text


def client_for(world: World, role: str, api: bool) -> Client:
    # A server error comes back as a 500 response (and fails the check), not as an exception.
    if role == "anon":
        return Client(raise_request_exception=False)
    if api:
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[role]}", raise_request_exception=False)
    client = Client(raise_request_exception=False)
    client.force_login(world.users[role])
    return client


def perform(world: World, role: str, check: policy.Check, url_of, api: bool) -> Result:
    """Make the check's request as ``role`` in a savepoint that is rolled back afterwards."""
    with transaction.atomic():
        refs = dict(world.refs)
        if check.setup:
            refs.update(check.setup(world) or {})
        url = url_of(resolve(check.args, refs))
        client = client_for(world, role, api)
        query = resolve(check.query, refs)
        data = resolve(check.data, refs)
        if check.method == "GET":
            response = client.get(url, query)
        elif api and not check.files:
            response = client.generic(check.method, url, json.dumps(data or {}), content_type="application/json")
        else:
            payload = dict(data or {})
            for name, (filename, content) in check.files.items():
                payload[name] = SimpleUploadedFile(filename, content)
            response = getattr(client, check.method.lower())(url, payload)
        text = body_text(response)
        location = response.get("Location", "")
        transaction.set_rollback(True)
    supplied = frozenset(str(v) for part in (resolve(check.args, refs), query or {}, data or {}) for v in part.values())
    return Result(
        classify(response.status_code, location), response.status_code, location, text, dict(response.headers), supplied
    )


def leaks(world: World, role: str, result: Result) -> list[str]:
    """What this response shows that this role must never see (beyond what the request sent)."""
    text = result.text
    found = [f"raw personal number {m[:4]}…" for m in world.never if m in text]
    if role in ("anon", "applicant2", "partner"):
        found += [f"A's private {m!r}" for m in world.private if m in text and m not in result.supplied]
    if role == "reviewer_tax":  # another department: nothing of the case it has no task on
        own = {
            world.refs["case_review"],
            "A-private-articles-7f3e.pdf",
            "A-unsent-draft.pdf",
            world.refs["case_intake"],
            "A-PRIVATE-CONTENT-91c2",
        }
        found += [f"another department's case data {m!r}" for m in own if m in text and m not in result.supplied]
    return found


def missing_headers(result: Result) -> list[str]:
    return [
        f"{name} missing or not {value!r}"
        for name, value in REQUIRED_HEADERS.items()
        if value not in result.headers.get(name, "")
    ]


__all__ = ["Ref", "classify", "leaks", "missing_headers", "perform"]
