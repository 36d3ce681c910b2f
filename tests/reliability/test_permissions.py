"""The permissions matrix: every role × every page and API operation, as the code declares them.

Pages come from Django's URL resolver, operations from the OpenAPI schema; each must be in the
policy table (``policy.py``) or its test fails. Every response is also checked for leaks (raw
identity numbers for anyone, applicant A's private data for those who may not see it), for the
security headers, and for server errors.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from reliability import policy, routes
from reliability.matrix import leaks, missing_headers, perform
from reliability.world import ROLES

pytestmark = pytest.mark.django_db


def _unlisted(kind: str, key: str, where: str) -> str:
    return (
        f"{kind} {key!r} has no entry in the policy table. Classify it in tests/reliability/policy.py "
        f"({where}): who may use it, and what everyone else gets."
    )


def _run(world, key: str, checks: list[policy.Check], url_of, api: bool) -> list[str]:
    failures = []
    for n, check in enumerate(checks):
        for role in ROLES:
            result = perform(world, role, check, url_of, api)
            label = f"{key} check {n} ({check.method}) as {role}"
            want = check.expect[role]
            if result.outcome != want:
                failures.append(f"{label}: expected {want}, got {result.outcome} ({result.status} {result.location})")
            failures += [f"{label}: leaks {x}" for x in leaks(world, role, result)]
            failures += [f"{label}: {x}" for x in missing_headers(result)]
    return failures


@pytest.mark.parametrize("page", routes.web_pages(), ids=lambda p: p.name)
def test_page(world, page):
    checks = policy.PAGES.get(page.name)
    if checks is None:
        pytest.fail(_unlisted("page", page.name, f"route /{page.route}"))
    for check in checks:
        assert set(check.args) == set(page.params), (
            f"{page.name}: the check fills {set(check.args)}, the route takes {set(page.params)}"
        )
    failures = _run(world, page.name, checks, page.url, api=False)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("operation", routes.operations(), ids=lambda o: o.key)
def test_api_operation(world, operation):
    checks = policy.API.get(operation.key)
    if checks is None:
        pytest.fail(_unlisted("API operation", operation.key, "API"))
    for check in checks:
        assert check.method == operation.method, f"{operation.key}: a check uses {check.method}"
        assert set(check.args) == set(operation.path_params), f"{operation.key}: the check fills {set(check.args)}"
    if operation.public:
        assert all(c.expect["anon"] != policy.LOGIN for c in checks), f"{operation.key} is declared public (auth=None)"

    def url_of(params):
        return operation.path.format(**params)

    failures = _run(world, operation.key, checks, url_of, api=True)
    assert not failures, "\n".join(failures)


def test_policy_table_has_no_stale_entries():
    """An entry for a route that no longer exists is a mistake waiting to hide a new one."""
    pages = {p.name for p in routes.web_pages()}
    ops = {o.key for o in routes.operations()}
    assert not set(policy.PAGES) - pages, f"policy entries for pages that do not exist: {set(policy.PAGES) - pages}"
    assert not set(policy.API) - ops, f"policy entries for operations that do not exist: {set(policy.API) - ops}"


# ---------------------------------------------------------------- the Django admin


def _admin_kwargs(page: routes.Page, world) -> dict:
    """Arguments for an admin URL: a real object of the page's model where there is one."""
    kwargs = {}
    parts = page.route.split("/")
    for param in page.params:
        if param == "object_id":
            model = next(
                (m for m in admin.site._registry if f"{m._meta.app_label}/{m._meta.model_name}" in page.route), None
            )
            obj = model.objects.order_by("pk").first() if model else None
            kwargs[param] = obj.pk if obj else 0
        elif param == "app_label":
            kwargs[param] = "cases"
        elif param == "content_type_id":
            kwargs[param] = ContentType.objects.get(app_label="cases", model="case").pk
        elif param == "url":
            kwargs[param] = "no-such-page/"
        elif param == "id":
            kwargs[param] = world.users["applicant"].pk
        else:  # pragma: no cover — a new kind of admin URL: say so
            pytest.fail(f"admin route {page.route} takes {param!r}: teach _admin_kwargs how to fill it ({parts})")
    return kwargs


ADMIN_ROLES = ("anon", "applicant", "clerk", "partner", "admin")


@pytest.mark.parametrize("page", routes.admin_pages(), ids=lambda p: p.name)
def test_admin_page(world, page):
    """Staff only: everyone else is sent to the admin's log-in page; for staff never a server
    error and never a raw identity number."""
    kwargs = _admin_kwargs(page, world)
    failures = []
    for role in ADMIN_ROLES:
        if page.name.endswith(":logout"):
            want = {policy.OK, policy.METHOD, policy.LOGIN}  # GET logs nobody out; never an error
        elif role == "admin" or page.name in policy.ADMIN_PUBLIC:
            want = {policy.OK, policy.FORBIDDEN, policy.HIDDEN}
        else:
            want = {policy.LOGIN}
        check = policy.Check(expect={})
        result = perform(world, role, check, lambda _: page.url(kwargs), api=False)
        if result.outcome not in want:
            failures.append(
                f"{page.name} as {role}: expected {sorted(want)}, got {result.outcome} ({result.status} {result.location})"
            )
        failures += [f"{page.name} as {role}: leaks {x}" for x in leaks(world, role, result)]
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- by any route

PROBE_ROLES = ("applicant2", "partner", "reviewer_tax")


def test_no_route_shows_applicant_a_private_data_to_others(world):
    """Put each of A's identifiers into every parameter of every GET page and operation, as people
    who may not see them: whatever the route, none of A's private data comes back. (Routes without
    parameters are searched for leaks by the matrix itself, for every role.)"""
    texts = [world.refs[k] for k in ("case_review", "case_intake", "case_window")]
    ints = [world.refs[k] for k in ("task_review", "task_intake", "material_review", "material_loose")]
    failures = []
    targets = [(p.name, p.params, p.int_params, p.url, False) for p in routes.web_pages() if p.params]
    targets += [
        (o.key, tuple(o.path_params), o.int_params, (lambda o: lambda kw: o.path.format(**kw))(o), True)
        for o in routes.operations()
        if o.method == "GET" and o.path_params
    ]
    for key, params, int_params, url_of, api in targets:
        for n in range(max(len(texts), len(ints))):
            kwargs = {
                p: (ints if p in int_params else texts)[n % len(ints if p in int_params else texts)] for p in params
            }
            for role in PROBE_ROLES:
                result = perform(world, role, policy.Check(expect={}, args=kwargs), url_of, api)
                if result.outcome.startswith("server error"):
                    failures.append(f"{key} {kwargs} as {role}: {result.outcome}")
                failures += [f"{key} {kwargs} as {role}: leaks {x}" for x in leaks(world, role, result)]
    assert not failures, "\n".join(failures)
