"""The pages keep working under the content security policy, in a real browser.

Every page the policy table lets someone open (enumerated from the resolver) is loaded in
Debian's chromium as that someone; the browser must report no CSP violation and no script
error. A template scan can miss what a browser refuses (a script from another origin, an eval
inside a library); this cannot.
"""

from __future__ import annotations

import pytest
from django.test import Client

from reliability import policy, routes
from reliability.world import build_world, resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREFERENCE = ("applicant", "reviewer", "clerk", "admin", "anon")


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_every_page_runs_under_the_csp_without_errors(browser, live_server):
    world = build_world()
    contexts = {}
    visited, failures = 0, []
    try:
        for page in routes.web_pages():
            for check in policy.PAGES.get(page.name, []):
                role = next((r for r in PREFERENCE if check.expect[r] == policy.OK), None)
                if check.method != "GET" or role is None:
                    continue
                refs = dict(world.refs)
                if check.setup:
                    refs.update(check.setup(world) or {})
                url = page.url(resolve(check.args, refs))
                if role not in contexts:
                    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN")
                    if role != "anon":
                        ctx.add_cookies(
                            [{"name": "sessionid", "value": _session_cookie(world.users[role]), "url": live_server.url}]
                        )
                    contexts[role] = ctx
                tab = contexts[role].new_page()
                problems: list[str] = []
                tab.on("console", lambda msg, p=problems: p.append(msg.text) if msg.type == "error" else None)
                tab.on("pageerror", lambda exc, p=problems: p.append(str(exc)))
                try:
                    response = tab.goto(url, wait_until="load")
                except Exception as exc:
                    if "Download is starting" in str(exc):
                        tab.close()
                        continue
                    raise
                content_type = response.headers.get("content-type", "") if response else ""
                if "html" in content_type:
                    visited += 1
                    tab.wait_for_timeout(150)  # deferred scripts run, charts draw
                    # 404s for missing favicons and the like are not CSP problems; refusals are
                    problems = [p for p in problems if "Failed to load resource" not in p or "Content Security" in p]
                    failures += [f"{page.name} as {role}: {p}" for p in problems]
                tab.close()
    finally:
        for ctx in contexts.values():
            ctx.close()
    assert visited >= 25, f"only {visited} pages were opened: the enumeration is not finding the pages"
    assert not failures, "\n".join(failures)
