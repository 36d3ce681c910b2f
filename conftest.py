"""Shared test fixtures: a Playwright browser on Debian's chromium for the journeys people take.

Browser tests never skip: if chromium is missing the test fails and says how to install it.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django then refuses ORM calls from
# it unless told this is deliberate. The live server itself runs in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("ZIMAO_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: apt-get install chromium (browser tests never skip)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors  # CSP violations and script errors show up here
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings):
    """Tests run background tasks inline; the crash tests use the database queue explicitly."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _counters_in_the_test_transaction(settings):
    """Counters in the caller's transaction, rolled back with each test (tests that set a counter
    themselves would otherwise wait on their own row); tests of the counters' own connection turn
    it on (see core/tests/test_sequences_own_connection.py)."""
    settings.COUNTERS_OWN_CONNECTION = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 takes ~0.4 s a hash here by design; tests that are not about hashing use a fast one
    (tests about hashing set PASSWORD_HASHERS back to the production list)."""
    from zimao.settings import PASSWORD_HASHERS

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def _seeded_calendar_for_transactional_tests(request):
    """Transactional tests (browser journeys, concurrency) flush the database when they end, which
    wipes what migrations seeded — the holiday calendar. Seed it again (idempotent) before each
    one, so every test sees the database a fresh install has."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames
    if transactional:
        request.getfixturevalue("transactional_db")
        from zimao.core import calendar
        from zimao.core.models import CalendarYear

        if not CalendarYear.objects.exists():
            calendar.seed_from_package()
    yield


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Rolled-back test transactions send no signals: start every test with an empty cache."""
    from zimao.core import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_reference_cache():
    """A test's rollback sends no signals: what it cached from its own rows must not outlive it."""
    from zimao.core import refcache

    refcache.clear()
    yield
    refcache.clear()


@pytest.fixture
def zone(db):
    """The demo catalogue and one user per role (no report figures: tests make their own)."""
    from zimao.testing import build_zone

    return build_zone()


AXE = os.path.join(os.path.dirname(__file__), "tests", "vendor", "axe-core", "axe.min.js")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page, *, context: str = "") -> None:
    """WCAG 2.1 AA by axe-core (vendored, run through the DevTools protocol so the page's CSP,
    which forbids inline scripts, is left as it is): no violation on the page as it stands."""
    with open(AXE, encoding="utf-8") as fh:
        source = fh.read()
    violations = page.evaluate(
        "async ([source, tags]) => { if (!window.axe) { (0, eval)(source); }"
        " const r = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }",
        [source, WCAG_AA],
    )
    where = context or page.url
    assert not violations, f"axe-core (WCAG 2.1 AA) on {where}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations
    )


@pytest.fixture
def axe():
    """``axe(page)`` asserts the page as it stands passes WCAG 2.1 AA (axe-core)."""
    return assert_accessible
