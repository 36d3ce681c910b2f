"""A small zone with one person per role and one object of every kind a route can name.

The permissions matrix and the leak checks run every route against this world. ``refs`` maps a
symbolic name (``case_review``) to the value a URL or body needs (a case number, a task id); a
policy entry says ``Ref("case_review")`` and never a literal id, so the table survives reordering.

Secrets of applicant A (``applicant``) that nobody else may ever see are collected in
``world.private``: case numbers of cases no one else works on, the mailing address, the
uploaded file's name and content marker. The raw identity and phone numbers may appear in no
response at all, for any role (``world.never``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from zimao.testing import BASE_APPLICATION, PDF, appointment_date

ROLES = ("anon", "applicant", "applicant2", "clerk", "reviewer", "reviewer_tax", "admin", "partner")
PARTNER_GROUP = "partner_zone"

RAW_ID = BASE_APPLICATION["registration"]["legal_rep_id"]
RAW_PHONE = BASE_APPLICATION["registration"]["legal_rep_phone"]
MAIL_ADDRESS = "洛阳市涧西区秘密路88号甲座"
SECRET_FILE_NAME = "A-private-articles-7f3e.pdf"
SECRET_CONTENT = b"A-PRIVATE-CONTENT-91c2"
# A PDF that passes the content check and carries a marker no one but its readers may see.
SECRET_PDF = PDF.replace(b"%%EOF", b"% " + SECRET_CONTENT + b"\n%%EOF")


@dataclass
class World:
    users: dict
    tokens: dict
    refs: dict
    private: set = field(default_factory=set)  # applicant A's secrets: never shown to applicant2/partner/anon
    never: set = field(default_factory=set)  # shown to nobody, ever

    def user(self, role: str):
        return self.users.get(role)


class Ref:
    """A value taken from ``world.refs`` when the check runs."""

    def __init__(self, name: str, attr: str | None = None):
        self.name = name

    def __repr__(self):
        return f"Ref({self.name!r})"


def resolve(value, refs: dict):
    if isinstance(value, Ref):
        if value.name not in refs:
            raise KeyError(f"the world has no object {value.name!r}: add it in tests/reliability/world.py")
        return refs[value.name]
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(resolve(v, refs) for v in value)
    return value


def _submit(user, trade_name: str, *, materials=True, delivery="electronic", mail="", key="", **sections):
    from zimao.cases.services import submit, upload_material
    from zimao.testing import application, upload_materials

    mats = upload_materials(user) if materials else {}
    if materials == "secret":
        mats["articles"] = upload_material(user, "articles", SECRET_FILE_NAME, SECRET_PDF).pk
    case = submit(
        user,
        "QYKB-001",
        application(trade_name, **sections),
        materials=mats,
        idempotency_key=key,
        delivery_method=delivery,
        mail_address=mail,
    ).case
    case.refresh_from_db()
    return case


def build_world() -> World:
    """The zone (catalogue and one user per role), a partner-zone node and A's cases."""
    from zimao.cases.models import Material, Task
    from zimao.cases.services import upload_material
    from zimao.core.apiauth import issue_token
    from zimao.testing import build_zone

    zone: SimpleNamespace = build_zone()
    User = get_user_model()
    partner = User.objects.create_user("partner-node-ly2", password=None)
    partner.groups.add(Group.objects.get_or_create(name=PARTNER_GROUP)[0])
    users = {role: getattr(zone, role, None) for role in ROLES if role not in ("anon", "partner")}
    users["partner"] = partner
    tokens = {role: issue_token(u, "matrix") for role, u in users.items()}

    a = users["applicant"]
    # Waiting for the market-regulation reviewer (custom articles), to be mailed, with A's secret file.
    case_review = _submit(
        a, "青松", materials="secret", delivery="mail", mail=MAIL_ADDRESS, registration={"articles": "custom"}
    )
    task_review = case_review.tasks.get(key="registration")
    secret_material = Material.objects.get(case=case_review, key="articles")
    # Straight through: a company, a USCC and a signed business licence.
    # Its scope names every activity of the catalogue: it may commit to any permit (告知承诺 is
    # refused outside the registered scope), as the hostile-input test applies for each service.
    from django.apps import apps as installed

    scope = "软件开发；餐饮服务"
    if installed.is_installed("zimao.permits"):
        from zimao.catalog.services import load_packaged
        from zimao.permits.tests.helpers import broad_scope

        load_packaged("permits")  # the activities the scope names (permits_world loads it again: idempotent)
        scope = broad_scope()
    case_done = _submit(a, "翠柏", registration={"business_scope": scope})
    credential = case_done.outputs[0]["identifier"]
    task_tax = case_done.tasks.get(key="tax")
    # Issued, to be handed out at the window.
    case_window = _submit(a, "红枫", delivery="window")
    # Materials missing: waits for the window clerk's intake decision.
    case_intake = _submit(a, "白桦", materials=False)
    task_intake = case_intake.tasks.get(kind=Task.Kind.INTAKE)
    loose = upload_material(a, "articles", "A-unsent-draft.pdf", SECRET_PDF)
    # Applicant 2's own case (their "own" checks).
    case_b = _submit(users["applicant2"], "银杏")

    refs = {
        "case_review": case_review.number,
        "task_review": task_review.pk,
        "material_review": str(secret_material.token),
        "material_window": str(case_window.materials.order_by("pk").first().token),
        "case_done": case_done.number,
        "credential": credential,
        "task_tax": task_tax.pk,
        "case_window": case_window.number,
        "case_intake": case_intake.number,
        "task_intake": task_intake.pk,
        "material_loose": str(loose.token),
        "material_loose_pk": loose.pk,
        "case_b": case_b.number,
        "service": "QYKB-001",
        "section": "registration",
        "uscc": case_done.results["uscc"],
    }
    private = {
        case_review.number,
        case_window.number,
        case_intake.number,
        MAIL_ADDRESS,
        SECRET_FILE_NAME,
        "A-unsent-draft.pdf",
        SECRET_CONTENT.decode(),
    }
    if apps.is_installed("zimao.permits"):
        refs.update(permits_world(users, refs))
        private.add(refs["permit_case"])
    # Apps that classify their own routes (zimao.<app>.tests.reliability_policy) add their objects.
    for module in app_policies():
        make = getattr(module, "world", None) or getattr(module, f"{module.__name__.split('.')[1]}_world", None)
        if make:
            refs.update(make(users))
    return World(users=users, tokens=tokens, refs=refs, private=private, never={RAW_ID, RAW_PHONE})


def app_policies() -> list:
    """``zimao.<app>.tests.reliability_policy`` modules: an app's own entries for the matrix
    (``pages(policy)``, ``api(policy)``, ``world(users)`` or ``<app>_world(users)``)."""
    from importlib import import_module
    from importlib.util import find_spec

    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("zimao."):
            continue
        try:
            spec = find_spec(f"{config.name}.tests.reliability_policy")
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            found.append(import_module(f"{config.name}.tests.reliability_policy"))
    return found


def permits_world(users: dict, refs: dict) -> dict:
    """The permit catalogue and A's permit granted on a commitment (告知承诺), with its
    post-approval check for market regulation."""
    from zimao.catalog.models import ServiceItem
    from zimao.catalog.services import load_packaged
    from zimao.permits import catalogue
    from zimao.permits import services as permits
    from zimao.permits.models import PostCheck

    load_packaged("permits")
    item = ServiceItem.objects.get(code="ZZ-SPJY")  # food business, 告知承诺, market regulation (AMR)
    data = {}
    for section in item.form.get("sections", []):
        if section["key"] in ("commitment", "company"):
            continue
        for spec in section.get("fields", []):
            choices = [c[0] if isinstance(c, (list, tuple)) else c for c in spec.get("choices", [])]
            kind = spec.get("type", "text")
            value = (
                (choices[:1] if kind == "multichoice" else choices[0])
                if choices
                else {"int": 1, "decimal": "1", "bool": True, "date": appointment_date()}.get(
                    kind, "洛阳市涧西区天津路8号"
                )
            )
            data.setdefault(section["key"], {})[spec["key"]] = value
    grant = permits.apply_with_commitment(
        users["applicant"],
        item.code,
        uscc=refs["uscc"],
        signer_name="李明",
        agree=True,
        data=data,
        conditions_hash=catalogue.conditions_version(item),
    )
    assert grant.granted, grant.case.status
    check = PostCheck.objects.get(commitment__case_number=grant.case.number)
    bundle = next(s for s in ServiceItem.objects.all() if catalogue.is_bundle(s))
    cancelled = next(s for s in ServiceItem.objects.order_by("code") if catalogue.reform_mode(s) == "cancelled")
    return {
        "permit_item": item.code,
        "permit_case": grant.case.number,
        "post_check": check.pk,
        "bundle": bundle.code,
        "cancelled_item": cancelled.code,
        "permit_data": data,
        "conditions_version": catalogue.conditions_version(item),
    }


# ---------------------------------------------------------------- objects made for one check


def suspend_for_correction(world: World) -> dict:
    """The reviewer asks A for corrections on ``case_review`` (补正)."""
    from zimao.cases.services import decide

    decide(world.refs["task_review"], world.users["reviewer"], "correct", "请补充章程第五条")
    return {}


def amr_reminder(world: World) -> dict:
    """A reminder (催办) in market regulation's inbox — the department of ``task_review``."""
    from zimao.cases.models import Case
    from zimao.cases.services import notify

    case = Case.objects.get(number=world.refs["case_review"])
    row = notify(case, department=case.tasks.get(key="registration").department, zh="催办", en="Reminder")
    return {"reminder": row.pk}


def poor_rating(world: World) -> dict:
    """A rates ``case_done`` poorly, by name: a rectification task for AMR."""
    from zimao.cases.services import rate

    rating = rate(world.refs["case_done"], world.users["applicant"], 1, "太慢", named=True)
    return {"task_rectify": rating.rectification_id}


def answered(world: World) -> dict:
    """AMR answered the poor rating: the service centre verifies it with A next (回访核实)."""
    from zimao.cases.services import rectify

    extra = poor_rating(world)
    rectify(extra["task_rectify"], world.users["reviewer"], "已整改")
    return extra


def rectified(world: World) -> dict:
    """After a verified rectification: A may answer again (回访)."""
    from zimao.cases.services import verify_rectification

    extra = answered(world)
    verify_rectification(
        world.refs["case_done"], world.users["admin"], "已回访核实"
    )  # 回访核实 before the rater's answer
    return extra


def appealed(world: World) -> dict:
    """AMR appealed A's poor rating (申诉): the zone administrator reviews it."""
    from zimao.cases.services import appeal

    extra = poor_rating(world)
    extra["appeal"] = appeal(world.refs["case_done"], world.users["reviewer"], "评价对象错误").pk
    return extra


def indicator(world: World) -> dict:
    """The monitor's indicator catalogue, one published and one unpublished code."""
    from zimao.monitor import catalogue
    from zimao.monitor.models import Indicator

    catalogue.sync()
    published = (
        Indicator.objects.filter(published=True, source="computed").order_by("code").first()
        or Indicator.objects.filter(published=True).order_by("code").first()
    )
    hidden = Indicator.objects.filter(published=False).order_by("code").first()
    return {"indicator": published.code, "indicator_hidden": (hidden or published).code}


def import_job(world: World) -> dict:
    from zimao.monitor.models import ImportJob

    job = ImportJob.objects.create(
        created_by=world.users["admin"], filename="stats.csv", content=b"indicator,period,value\n"
    )
    return {"import_job": job.pk}
