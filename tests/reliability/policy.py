"""Who may do what — the declarative policy table the permissions matrix tests against.

Every page (Django route name) and every API operation (``METHOD /api/v1/path``) must have an
entry; an unlisted one fails ``test_permissions``, so whoever adds a route classifies it — here,
or in their own app's ``zimao.<app>.tests.reliability_policy`` (``pages(policy)``, ``api(policy)``
and ``world(users)`` returning the objects its checks name), which is merged automatically.
An entry is a list of ``Check``s: a request (method, URL arguments and body taken from the
world by ``Ref``) and the expected outcome for each role:

- ``OK``        let in (2xx, or a redirect that is not to a log-in page; a 409/422 after the
                permission gate counts as let in: the request was judged on its merits)
- ``LOGIN``     sent to log in (pages: redirect to the login page; API: 401)
- ``FORBIDDEN`` 403 — an officer page for a non-officer, a decision outside one's department
- ``HIDDEN``    404 — someone else's case, material, task or licence: exactly like one that
                does not exist, so nothing leaks about its existence
- ``METHOD``    405 — the route does not take this method

Roles: anon, applicant (A, owns the world's cases), applicant2 (B), clerk (window), reviewer
(market regulation: the department of ``task_review``), reviewer_tax (another department),
admin (zone administrator, staff), partner (another zone's node: an API token for a user in
group ``partner_zone`` with no officer record — it must see no applicant data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reliability import world as w
from reliability.world import Ref

OK, LOGIN, FORBIDDEN, HIDDEN, METHOD = "ok", "login", "forbidden", "hidden", "method"
ROLES = w.ROLES
OFFICER_ROLES = ("clerk", "reviewer", "reviewer_tax", "admin")
CITIZENS = ("applicant", "applicant2", "partner")


def expect(default: str, **roles: str) -> dict[str, str]:
    out = dict.fromkeys(ROLES, default)
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    out.update(roles)
    return out


PUBLIC = expect(OK)
SIGNED_IN = expect(OK, anon=LOGIN)
# A's own: anyone else sees "not found" (officers use the workbench, not the applicant's pages).
OWNER_ONLY = expect(HIDDEN, anon=LOGIN, applicant=OK)
OFFICERS = expect(OK, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN)
ZONE_ADMIN = expect(FORBIDDEN, anon=LOGIN, admin=OK)
# Pages for the officers of the task's department (AMR) and the administrator.
AMR_TASK_PAGE = expect(
    HIDDEN, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN, reviewer=OK, admin=OK
)
WINDOW_DESK = expect(FORBIDDEN, anon=LOGIN, clerk=OK, admin=OK)
# Counter intake (前台综合受理): the window's clerks only, not even the administrator.
WINDOW_CLERK = expect(FORBIDDEN, anon=LOGIN, clerk=OK)
NOT_THIS_METHOD = expect(METHOD, anon=LOGIN)


@dataclass
class Check:
    expect: dict[str, str]
    method: str = "GET"
    args: dict = field(default_factory=dict)  # URL kwargs / path params → Ref or literal
    data: dict | None = None  # form fields (pages) or JSON body (API)
    query: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)  # name → (filename, bytes) for multipart
    setup: Callable | None = None  # world → extra refs, run before the request (rolled back after)
    note: str = ""


# ---------------------------------------------------------------- pages

CODE = {"code": Ref("service")}
REVIEW = {"number": Ref("case_review")}
DONE = {"number": Ref("case_done")}

INTAKE = {"ref": Ref("intake")}


def _intake(world) -> dict:
    """The window clerk has started an application for A at the counter."""
    from zimao.web.intake import start

    return {"intake": start(world.users["clerk"], world.users["applicant"], "QYKB-001").ref}


PAGES: dict[str, list[Check]] = {
    # public
    "web:home": [Check(PUBLIC)],
    "web:services": [Check(PUBLIC)],
    "web:service": [Check(PUBLIC, args=CODE)],
    "web:verify_form": [Check(PUBLIC), Check(PUBLIC, query={"identifier": Ref("credential")})],
    "web:login": [Check(PUBLIC), Check(PUBLIC, "POST", data={"username": "applicant", "password": "wrong-password"})],
    "web:logout": [Check(expect(METHOD), "GET"), Check(PUBLIC, "POST")],
    "web:register": [Check(PUBLIC)],
    "core:healthz": [Check(PUBLIC)],
    # the audit log's signed tree heads and proofs are public, like a transparency log's
    "core:audit-checkpoints": [Check(PUBLIC)],
    "core:audit-inclusion": [Check(PUBLIC)],
    "core:audit-consistency": [Check(PUBLIC)],
    "licences:verify_document": [Check(PUBLIC), Check(PUBLIC, "POST", data={})],
    "set_language": [Check(PUBLIC, "POST", data={"language": "en", "next": "/"})],
    "licences:verify": [Check(PUBLIC, args={"identifier": Ref("credential")})],
    "licences:jwks": [Check(PUBLIC)],
    "api:openapi-json": [Check(PUBLIC)],
    "api:openapi-view": [Check(PUBLIC)],
    "api:api-root": [Check(expect(HIDDEN), note="no view at the API root")],
    # the applicant's journey: anyone signed in may apply (each one's drafts are their own, on the server)
    "web:apply": [Check(SIGNED_IN, args=CODE)],
    "web:apply_materials": [Check(SIGNED_IN, args=CODE), Check(SIGNED_IN, "POST", args=CODE, data={})],
    "web:apply_check": [Check(SIGNED_IN, args=CODE)],
    # deleting one's own saved draft: each person only ever reaches their own (keyed by user)
    "web:apply_draft_delete": [Check(SIGNED_IN, "POST", args=CODE), Check(NOT_THIS_METHOD, args=CODE)],
    "web:apply_section": [
        Check(SIGNED_IN, args={"code": Ref("service"), "section_key": Ref("section")}),
        Check(SIGNED_IN, "POST", args={"code": Ref("service"), "section_key": Ref("section")}, data={}),
    ],
    "web:cases": [Check(SIGNED_IN)],
    # A's case pages: A only; everyone else, officers included, sees "not found"
    "web:case": [Check(OWNER_ONLY, args=REVIEW), Check(OWNER_ONLY, args=DONE)],
    "web:case_submitted": [Check(OWNER_ONLY, args=REVIEW)],
    "web:case_step_output": [
        Check(OWNER_ONLY, args={"number": Ref("case_done"), "kind": "tax_registration_confirmation"})
    ],
    "web:case_step_output_pdf": [
        Check(OWNER_ONLY, args={"number": Ref("case_done"), "kind": "tax_registration_confirmation"})
    ],
    "web:documents": [Check(SIGNED_IN)],
    "web:case_withdraw": [
        Check(OWNER_ONLY, "POST", args=REVIEW, data={"reason": "不办了"}),
        Check(NOT_THIS_METHOD, args=REVIEW),
    ],
    "web:case_correction": [
        Check(OWNER_ONLY, "POST", args=REVIEW, data={"answer": "已补充"}, setup=w.suspend_for_correction)
    ],
    "web:case_rating": [Check(OWNER_ONLY, "POST", args=DONE, data={"level": "5", "comment": "好"})],
    "web:case_follow_up": [Check(OWNER_ONLY, "POST", args=DONE, data={"level": "4"}, setup=w.rectified)],
    # materials: the owner, and officers whose department has or had a task on the case (not
    # another department's reviewer; the window clerk only for cases that came to the window)
    "web:material": [
        Check(
            expect(HIDDEN, anon=LOGIN, applicant=OK, reviewer=OK, admin=OK),
            args={"token": Ref("material_review")},
            note="never at the window: the clerk sees nothing",
        ),
        Check(
            expect(HIDDEN, anon=LOGIN, applicant=OK, clerk=OK, reviewer=OK, reviewer_tax=OK, admin=OK),
            args={"token": Ref("material_window")},
            note="issued, waiting at the window; market regulation and tax each had a task on it (秒批)",
        ),
        Check(
            expect(HIDDEN, anon=LOGIN, applicant=OK),
            args={"token": Ref("material_loose")},
            note="uploaded, not yet sent: nobody but its owner",
        ),
    ],
    # licences: the holder's applicant and staff
    "licences:detail": [
        Check(expect(HIDDEN, anon=LOGIN, applicant=OK, admin=OK), args={"identifier": Ref("credential")})
    ],
    "licences:qr": [Check(expect(HIDDEN, anon=LOGIN, applicant=OK, admin=OK), args={"identifier": Ref("credential")})],
    "licences:pdf": [Check(expect(HIDDEN, anon=LOGIN, applicant=OK, admin=OK), args={"identifier": Ref("credential")})],
    # officers
    "web:workbench": [Check(OFFICERS)],
    # A department's reminders (催办/督办): its own officers only; another department's is "not found".
    "web:reminder_read": [
        Check(
            expect(HIDDEN, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN, reviewer=OK),
            "POST",
            args={"pk": Ref("reminder")},
            setup=w.amr_reminder,
        ),
        Check(
            expect(METHOD, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN),
            args={"pk": Ref("reminder")},
            setup=w.amr_reminder,
        ),
    ],
    "web:reminders_read_all": [
        Check(OFFICERS, "POST"),
        Check(expect(METHOD, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN)),
    ],
    "web:task": [
        Check(AMR_TASK_PAGE, args={"task_id": Ref("task_review")}),
        Check(
            expect(
                HIDDEN,
                anon=LOGIN,
                applicant=FORBIDDEN,
                applicant2=FORBIDDEN,
                partner=FORBIDDEN,
                reviewer_tax=OK,
                admin=OK,
            ),
            args={"task_id": Ref("task_tax")},
        ),
    ],
    "web:task_decide": [
        Check(AMR_TASK_PAGE, "POST", args={"task_id": Ref("task_review")}, data={"outcome": "approve"}),
        Check(
            expect(
                HIDDEN, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN, clerk=OK, admin=OK
            ),
            "POST",
            args={"task_id": Ref("task_intake")},
            data={"outcome": "approve"},
        ),
    ],
    "web:task_rectify": [
        Check(
            AMR_TASK_PAGE, "POST", args={"task_id": Ref("task_rectify")}, data={"answer": "已整改"}, setup=w.poor_rating
        )
    ],
    # 好差评: 回访核实 by the service centre, 申诉 by the rated department (AMR), 复核 by the administrator
    "web:ratings": [Check(WINDOW_DESK)],
    "web:rating_verify": [Check(WINDOW_DESK, "POST", args=DONE, data={"note": "已回访"}, setup=w.answered)],
    "web:rating_appeal": [
        Check(
            expect(HIDDEN, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN, reviewer=OK),
            "POST",
            args=DONE,
            data={"reason": "评价对象错误"},
            setup=w.poor_rating,
        )
    ],
    "web:rating_review": [
        Check(
            ZONE_ADMIN,
            "POST",
            args={"appeal_id": Ref("appeal")},
            data={"decision": "upheld", "reason": "评价属实"},
            setup=w.appealed,
        )
    ],
    "web:window": [Check(WINDOW_DESK)],
    "web:window_deliver": [Check(WINDOW_DESK, "POST", args={"number": Ref("case_window")}, data={"method": "window"})],
    # counter intake: the clerk takes A's application at the window
    # the account's own page: each person sees only their own masked document and phone
    "web:account": [Check(SIGNED_IN)],
    "web:claim": [Check(PUBLIC), Check(PUBLIC, "POST", data={"step": "find", "id_number": w.RAW_ID, "phone": "1"})],
    "web:intake": [Check(WINDOW_CLERK), Check(WINDOW_CLERK, "POST", data={"id_number": w.RAW_ID})],
    "web:intake_applicant": [Check(WINDOW_CLERK, "POST", data={"name": "赵六", "phone": "13912345678"})],
    "web:intake_phone": [Check(WINDOW_CLERK, "POST", data={"phone": "13912345678"})],
    "web:intake_attach": [
        Check(WINDOW_CLERK, "POST", data={"account": "1"}),
        Check(WINDOW_CLERK, "POST", data={"action": "confirm", "code": "000000"}),
    ],
    "web:intake_start": [Check(WINDOW_CLERK, "POST", data={"service": "QYKB-001"})],
    "web:intake_tasks": [Check(WINDOW_CLERK, args=INTAKE, setup=_intake)],
    "web:intake_section": [Check(WINDOW_CLERK, args={**INTAKE, "section_key": "name"}, setup=_intake)],
    "web:intake_materials": [Check(WINDOW_CLERK, args=INTAKE, setup=_intake)],
    "web:intake_check": [Check(WINDOW_CLERK, args=INTAKE, setup=_intake)],
    "web:intake_confirm": [
        Check(WINDOW_CLERK, args=INTAKE, setup=_intake),
        Check(WINDOW_CLERK, "POST", args=INTAKE, data={"code": "000000"}, setup=_intake),
    ],
    "web:intake_done": [Check(WINDOW_CLERK, args=INTAKE, setup=_intake)],
    # the zone dashboard: zone administrators; its public page and export for everyone
    "monitor:dashboard": [Check(ZONE_ADMIN)],
    "monitor:public": [Check(PUBLIC)],
    "monitor:public_export": [Check(PUBLIC)],
    "monitor:indicator": [Check(ZONE_ADMIN, args={"code": Ref("indicator")}, setup=w.indicator)],
    "monitor:events": [Check(ZONE_ADMIN, args={"code": Ref("indicator")}, setup=w.indicator)],
    "monitor:industry": [Check(ZONE_ADMIN)],
    "monitor:projects": [Check(ZONE_ADMIN)],
    "monitor:ledgers": [Check(ZONE_ADMIN)],
    "monitor:export": [
        Check(ZONE_ADMIN, args={"view": view}) for view in ("overview", "industry", "projects", "ledgers")
    ],
    "monitor:import": [Check(ZONE_ADMIN)],
    "monitor:import_template": [Check(ZONE_ADMIN)],
    "monitor:import_job": [Check(ZONE_ADMIN, args={"pk": Ref("import_job")}, setup=w.import_job)],
    "monitor:import_commit": [Check(ZONE_ADMIN, "POST", args={"pk": Ref("import_job")}, setup=w.import_job)],
    "monitor:import_discard": [Check(ZONE_ADMIN, "POST", args={"pk": Ref("import_job")}, setup=w.import_job)],
}

# ---------------------------------------------------------------- API operations

API_OWNER_ONLY = expect(HIDDEN, anon=LOGIN, applicant=OK)
# Reading a case: A, the window (hands every result out), the departments with a task on it, the
# administrator. Another applicant, another department and a partner node: not found.
API_CASE_READERS = expect(HIDDEN, anon=LOGIN, applicant=OK, clerk=OK, reviewer=OK, admin=OK)
API_DONE_READERS = expect(HIDDEN, anon=LOGIN, applicant=OK, clerk=OK, reviewer=OK, reviewer_tax=OK, admin=OK)
API_DECIDERS = expect(FORBIDDEN, anon=LOGIN, applicant=HIDDEN, applicant2=HIDDEN, partner=HIDDEN, reviewer=OK, admin=OK)
API_OFFICERS = expect(OK, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN)
API_WINDOW = expect(FORBIDDEN, anon=LOGIN, clerk=OK, admin=OK)
API_ZONE_ADMIN = expect(FORBIDDEN, anon=LOGIN, admin=OK)

DRAFT = {"service_code": Ref("service")}


def _a_draft(world) -> dict:
    """A has saved a draft: the registration section (identity and phone numbers) and the unsent
    file ``A-unsent-draft.pdf``."""
    from zimao.cases import drafts
    from zimao.catalog.services import get_service

    data = {"registration": dict(w.BASE_APPLICATION["registration"])}
    materials = {"articles": world.refs["material_loose_pk"]}
    drafts.replace_draft(world.users["applicant"], get_service(world.refs["service"]), data, materials)
    return {}


API: dict[str, list[Check]] = {
    "GET /api/v1/catalog/services": [Check(PUBLIC)],
    "GET /api/v1/catalog/services/{code}": [Check(PUBLIC, args=CODE)],
    "POST /api/v1/materials": [Check(SIGNED_IN, "POST", data={"key": "articles"}, files={"file": ("a.pdf", w.PDF)})],
    "GET /api/v1/cases": [Check(SIGNED_IN)],
    "POST /api/v1/cases": [Check(SIGNED_IN, "POST", data={"service": "QYKB-001", "data": {}})],
    "GET /api/v1/cases/{number}": [
        Check(API_CASE_READERS, args=REVIEW),
        Check(
            expect(HIDDEN, anon=LOGIN, applicant2=OK, clerk=OK, admin=OK, reviewer=OK, reviewer_tax=OK),
            args={"number": Ref("case_b")},
            note="B's straight-through case has a task for every department",
        ),
    ],
    "GET /api/v1/cases/{number}/history": [Check(API_CASE_READERS, args=REVIEW)],
    # A straight-through case has a task for every department (the tax reviewer's too).
    "GET /api/v1/cases/{number}/documents": [Check(API_DONE_READERS, args=DONE)],
    "GET /api/v1/cases/{number}/documents/{kind}": [
        Check(API_DONE_READERS, args={**DONE, "kind": "tax_registration_confirmation"})
    ],
    "GET /api/v1/cases/{number}/documents/{kind}/pdf": [
        Check(API_DONE_READERS, args={**DONE, "kind": "tax_registration_confirmation"})
    ],
    # Saved drafts (暂存): anyone signed in keeps their own, as on the portal (officers and partner
    # nodes included: POST /cases is theirs too); nobody reaches another's — exactly "you have none".
    "PUT /api/v1/drafts/{service_code}": [
        Check(SIGNED_IN, "PUT", args=DRAFT, data={"data": {}, "materials": {}}),
        Check(SIGNED_IN, "PUT", args=DRAFT, data={"data": {}, "materials": {}}, setup=_a_draft),
    ],
    "GET /api/v1/drafts": [Check(SIGNED_IN, setup=_a_draft)],
    "GET /api/v1/drafts/{service_code}": [Check(API_OWNER_ONLY, args=DRAFT, setup=_a_draft)],
    "DELETE /api/v1/drafts/{service_code}": [Check(API_OWNER_ONLY, "DELETE", args=DRAFT, setup=_a_draft)],
    "POST /api/v1/cases/{number}/withdraw": [Check(API_OWNER_ONLY, "POST", args=REVIEW, data={"reason": "不办了"})],
    "POST /api/v1/cases/{number}/correction": [
        Check(API_OWNER_ONLY, "POST", args=REVIEW, data={"answer": "已补充"}, setup=w.suspend_for_correction)
    ],
    "POST /api/v1/cases/{number}/rating": [Check(API_OWNER_ONLY, "POST", args=DONE, data={"level": 5})],
    "POST /api/v1/cases/{number}/rating/follow-up": [
        Check(API_OWNER_ONLY, "POST", args=DONE, data={"level": 4}, setup=w.rectified)
    ],
    "GET /api/v1/rating-reasons": [Check(PUBLIC)],
    "POST /api/v1/cases/{number}/rating/verification": [
        Check(API_WINDOW, "POST", args=DONE, data={"note": "已回访"}, setup=w.answered)
    ],
    "POST /api/v1/cases/{number}/rating/appeal": [
        Check(
            expect(HIDDEN, anon=LOGIN, reviewer=OK),
            "POST",
            args=DONE,
            data={"reason": "评价对象错误"},
            setup=w.poor_rating,
        )
    ],
    "GET /api/v1/rating-appeals": [Check(API_ZONE_ADMIN)],
    "POST /api/v1/rating-appeals/{appeal_id}/decision": [
        Check(
            API_ZONE_ADMIN,
            "POST",
            args={"appeal_id": Ref("appeal")},
            data={"decision": "upheld", "reason": "评价属实"},
            setup=w.appealed,
        )
    ],
    "POST /api/v1/cases/{number}/delivery": [
        Check(API_WINDOW, "POST", args={"number": Ref("case_window")}, data={"method": "window"})
    ],
    "POST /api/v1/cases/{number}/extension": [
        Check(API_ZONE_ADMIN, "POST", args=REVIEW, data={"days": 2, "reason": "疫情"})
    ],
    "GET /api/v1/tasks": [Check(API_OFFICERS)],
    "POST /api/v1/tasks/{task_id}/decision": [
        Check(API_DECIDERS, "POST", args={"task_id": Ref("task_review")}, data={"outcome": "approve"})
    ],
    "POST /api/v1/tasks/{task_id}/rectification": [
        Check(
            expect(HIDDEN, anon=LOGIN, reviewer=OK, admin=OK),
            "POST",
            args={"task_id": Ref("task_rectify")},
            data={"answer": "已整改"},
            setup=w.poor_rating,
        )
    ],
    "GET /api/v1/licences/verify/{identifier}": [Check(PUBLIC, args={"identifier": Ref("credential")})],
    "GET /api/v1/licences/mine": [Check(SIGNED_IN)],
    "GET /api/v1/licences/jwks": [Check(PUBLIC)],
    "GET /api/v1/monitor/indicators": [Check(API_ZONE_ADMIN)],
    "GET /api/v1/monitor/indicators/{code}/series": [
        Check(API_ZONE_ADMIN, args={"code": Ref("indicator")}, setup=w.indicator)
    ],
    "GET /api/v1/monitor/public/indicators": [Check(PUBLIC)],
    "GET /api/v1/monitor/public/indicators/{code}/series": [
        Check(PUBLIC, args={"code": Ref("indicator")}, setup=w.indicator)
    ],
}

# ---------------------------------------------------------------- permits (准营)

PERMIT = {"code": Ref("permit_item")}
PERMIT_CHECK = expect(
    HIDDEN, anon=LOGIN, applicant=FORBIDDEN, applicant2=FORBIDDEN, partner=FORBIDDEN, reviewer=OK, admin=OK
)
COMMIT_FORM = {"uscc": Ref("uscc"), "signer_name": "李明", "agree": "true"}

PAGES.update(
    {
        "permits:catalogue": [Check(PUBLIC)],
        "permits:catalogue_xlsx": [Check(PUBLIC)],
        "permits:advisor": [Check(PUBLIC), Check(PUBLIC, query={"activities": "catering"})],
        "permits:item": [Check(PUBLIC, args=PERMIT)],
        "permits:bundle": [Check(PUBLIC, args={"code": Ref("bundle")})],
        # signing a commitment: anyone signed in may try; only for a company of their own (judged on the merits)
        "permits:commit": [Check(SIGNED_IN, args=PERMIT), Check(SIGNED_IN, "POST", args=PERMIT, data=COMMIT_FORM)],
        "permits:note": [Check(SIGNED_IN, "POST", args={"code": Ref("cancelled_item")}, data={"uscc": Ref("uscc")})],
        "permits:companies": [Check(SIGNED_IN)],
        "permits:granted": [Check(OWNER_ONLY, args={"number": Ref("permit_case")})],
        # post-approval checks: officers; one check, its department's reviewers and the administrator
        "permits:checks": [Check(OFFICERS)],
        "permits:check": [
            Check(PERMIT_CHECK, args={"pk": Ref("post_check")}),
            Check(PERMIT_CHECK, "POST", args={"pk": Ref("post_check")}, data={"outcome": "true", "findings": "属实"}),
        ],
    }
)

API.update(
    {
        "GET /api/v1/permits/items": [Check(PUBLIC)],
        "GET /api/v1/permits/items/{code}": [Check(PUBLIC, args=PERMIT)],
        "GET /api/v1/permits/advice": [Check(PUBLIC, query={"activities": "catering"})],
        "POST /api/v1/permits/commitments": [
            Check(
                SIGNED_IN,
                "POST",
                data={
                    "service": Ref("permit_item"),
                    "uscc": Ref("uscc"),
                    "signer_name": "李明",
                    "agree": True,
                    "data": Ref("permit_data"),
                    "conditions_version": Ref("conditions_version"),
                },
            )
        ],
        "POST /api/v1/permits/activity-notes": [
            Check(SIGNED_IN, "POST", data={"service": Ref("cancelled_item"), "uscc": Ref("uscc")})
        ],
        "GET /api/v1/permits/companies": [Check(SIGNED_IN)],
        "GET /api/v1/permits/post-checks": [Check(API_OFFICERS)],
        "POST /api/v1/permits/post-checks/{check_id}": [
            Check(
                expect(HIDDEN, anon=LOGIN, reviewer=OK, admin=OK),
                "POST",
                args={"check_id": Ref("post_check")},
                data={"outcome": "true", "findings": "属实"},
            )
        ],
    }
)


def _merge_app_policies() -> None:
    """Apps may classify their own routes in ``zimao.<app>.tests.reliability_policy``."""
    import sys

    from reliability.world import app_policies

    this = sys.modules[__name__]
    for module in app_policies():
        if hasattr(module, "pages"):
            PAGES.update(module.pages(this))
        if hasattr(module, "api"):
            API.update(module.api(this))


_merge_app_policies()

# The Django admin: one rule for the whole site. Staff only; everyone else is sent to the admin's
# log-in page. For the administrator a page may be OK, 403 (read-only models) or 404 — never a
# server error, and never a raw identity number.
ADMIN_PUBLIC = {"admin:login"}
