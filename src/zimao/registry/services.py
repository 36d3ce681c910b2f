"""The registry's services and the pieces it plugs into the case engine for starting a company
(企业开办): the name check, the 秒批 rules, registration with a new USCC, the parallel steps and
the business licence as output.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.utils import timezone

from zimao.catalog import forms, zone
from zimao.catalog.plugins import RuleResult, at_end_of_run, checks, effects, outputs, rules
from zimao.core import audit, events, fastsql, identifiers, wording
from zimao.core.errors import Conflict, Problem
from zimao.registry import names
from zimao.registry.models import EstablishmentStep, MarketEntity, NameReservation

# ---------------------------------------------------------------- reading


def entity_by_uscc(uscc: str) -> MarketEntity | None:
    return MarketEntity.objects.filter(uscc=uscc.strip().upper()).first()


def entities_of(user):
    return MarketEntity.objects.filter(applicant=user).order_by("-established_on")


def name_taken(full_name: str, *, except_case: str = "") -> bool:
    """Registered, or held by another application — one statement for both."""
    registered = MarketEntity.objects.filter(name=full_name).order_by().values_list(Value(1))
    reserved = (
        NameReservation.objects.filter(full_name=full_name, status=NameReservation.Status.RESERVED)
        .exclude(case_number=except_case)
        .order_by()
        .values_list(Value(1))
    )
    return bool(list(registered.union(reserved, all=True)[:1]))


def full_name_of(data: dict) -> str:
    n = data.get("name") or {}
    return names.compose(n.get("division", ""), n.get("trade_name", ""), n.get("industry", ""), n.get("org_form", ""))


# ---------------------------------------------------------------- at submission


@checks.register("registry.name_available", "名称可用", "The company name is free and allowed")
def check_name(data: dict, applicant=None) -> list[Problem]:
    n = data.get("name") or {}
    trade = n.get("trade_name", "")
    problems = []
    if trade and not names.TRADE_NAME_RE.match(trade):
        problems.append(
            Problem(
                "name.trade_name", "invalid", "字号应为2至8个汉字", "The trade name must be 2 to 8 Chinese characters"
            )
        )
    bad = names.forbidden_words(trade)
    if bad:
        problems.append(
            Problem(
                "name.trade_name",
                "forbidden",
                f"字号含有禁用字词：{'、'.join(bad)}",
                f"The trade name contains words that may not be used: {', '.join(bad)}",
            )
        )
    if not problems and n.get("division") and name_taken(full_name_of(data)):
        full = full_name_of(data)
        problems.append(
            Problem(
                "name.trade_name",
                "taken",
                f"“{full}”已被登记或预留，请换一个字号",
                f"The name {full} is already registered or reserved; choose another trade name",
            )
        )
    return problems


def reserve_name(case_number: str, data: dict, *, new_case: bool = False) -> NameReservation:
    """Hold the name for the case (once per case). ``new_case``: the case is being submitted in
    this transaction, so it holds no reservation yet — one INSERT, and a clash (the name was just
    reserved by another application) fails the whole submission rather than a savepoint."""
    n = data["name"]
    fields = {
        "full_name": full_name_of(data),
        "division": n["division"],
        "trade_name": n["trade_name"],
        "industry": n["industry"],
        "org_form": n["org_form"],
    }
    try:
        if new_case:
            return fastsql.create([NameReservation(case_number=case_number, **fields)])[0]
        # get_or_create puts its INSERT in a savepoint: a clash leaves the transaction usable.
        reservation, _ = NameReservation.objects.get_or_create(case_number=case_number, defaults=fields)
    except IntegrityError:
        full = full_name_of(data)
        raise Conflict(
            Problem(
                "name.trade_name",
                "taken",
                f"“{full}”刚刚被其他申请预留，请换一个字号",
                f"The name {full} was just reserved by another application; choose another",
            )
        ) from None
    return reservation


@effects.register("registry.reserve_name", "预留名称", "Hold the company name for this application")
def reserve_name_effect(ctx) -> dict:
    return {"reserved_name": reserve_name(ctx.number, ctx.data, new_case=ctx.status == "submitted").full_name}


# ---------------------------------------------------------------- 秒批 rules


@rules.register("registry.name_clean", "名称无需人工判断", "The name needs no officer's judgement")
def name_clean(ctx) -> RuleResult:
    n = ctx.data.get("name") or {}
    words = names.sensitive_words(n.get("trade_name", ""), n.get("industry", ""))
    if words:
        return RuleResult(
            False,
            f"名称含有需审查的字词：{'、'.join(words)}",
            f"the name contains words an officer must check: {', '.join(words)}",
        )
    # A case created in this transaction was checked at submission a moment ago and holds its
    # reservation (one live reservation per name); a name registered in between fails the
    # entity's INSERT (names are unique), the run rolls back and a worker runs it again — with
    # this look-up, which then sends it to a person.
    if not ctx.new_case and name_taken(full_name_of(ctx.data), except_case=ctx.number):
        return RuleResult(False, "名称已被占用", "the name is already taken")
    return RuleResult(True)


@rules.register("registry.standard_articles", "使用标准章程", "Standard articles of association")
def standard_articles(ctx) -> RuleResult:
    if (ctx.data.get("registration") or {}).get("articles") == "standard":
        return RuleResult(True)
    return RuleResult(False, "使用自拟章程，需人工审查", "custom articles of association need review")


@rules.register("registry.entity_registered", "已完成设立登记", "The company is registered")
def entity_registered(ctx) -> RuleResult:
    if ctx.results.get("uscc"):
        return RuleResult(True)
    return RuleResult(False, "尚未完成设立登记", "the company is not registered yet")


# ---------------------------------------------------------------- effects


_ENTITY, _STEPS = "registry.entity", "registry.steps"  # keys of a case context's memo


def _entity_of(ctx, *, missing_ok: bool = False) -> MarketEntity | None:
    """The market entity the case registered, read once per engine run (the context's memo)."""
    entity = ctx.memo.get(_ENTITY)
    if entity is None and ctx.new_case and missing_ok:
        return None  # the case was created in this transaction: it registered nothing yet
    if entity is None:
        entity = MarketEntity.objects.filter(case_number=ctx.number).first()
        if entity is None and not missing_ok:
            raise MarketEntity.DoesNotExist(f"no market entity registered by case {ctx.number}")
        if entity is not None:
            ctx.memo[_ENTITY] = entity
    return entity


@effects.register("registry.register_entity", "设立登记并赋码", "Register the company and issue its USCC")
def register_entity(ctx) -> dict:
    """设立登记: the entity, its new USCC (never reused) and the name, used. Idempotent per case."""
    existing = _entity_of(ctx, missing_ok=True)
    if existing:
        return {
            "uscc": existing.uscc,
            "entity_name": existing.name,
            "established_on": existing.established_on.isoformat(),
        }
    n, reg = ctx.data["name"], ctx.data.get("registration") or {}
    full = full_name_of(ctx.data)
    with transaction.atomic(savepoint=False):  # all or nothing with the caller's transaction
        # The name the submission reserved becomes used (one UPDATE); held again if it was not.
        used = NameReservation.Status.USED
        if not NameReservation.objects.filter(case_number=ctx.number).update(status=used):
            reservation = reserve_name(ctx.number, ctx.data)
            reservation.status = used
            reservation.save(update_fields=["status"])
        uscc = identifiers.issue_uscc(n["division"], authority="9", entity_type="1")
        id_entry = reg.get("legal_rep_id")
        entity = MarketEntity(
            uscc=uscc,
            name=full,
            org_form=n["org_form"],
            industry=n["industry"],
            division=n["division"],
            registered_capital=Decimal(reg["registered_capital"]) if reg.get("registered_capital") else None,
            address=reg.get("address", ""),
            business_scope=reg.get("business_scope", ""),
            legal_rep_name=reg.get("legal_rep_name", ""),
            legal_rep_id=forms.reveal(id_entry) if id_entry else "",
            legal_rep_id_masked=forms.display(id_entry) if id_entry else "",
            established_on=timezone.localdate(),
            case_number=ctx.number,
            applicant_id=ctx.applicant_id,
        )
        fastsql.create([entity])  # one INSERT without the ORM's compiler (issue 11)
        ctx.memo[_ENTITY], ctx.memo[_STEPS] = entity, {}  # a new entity: no steps recorded yet
        audit.record(ctx.actor, "entity.registered", entity, after={"uscc": uscc, "name": full, "case": ctx.number})
        _announce_registered(entity)
    return {"uscc": uscc, "entity_name": full, "established_on": entity.established_on.isoformat()}


def _announce_registered(entity: MarketEntity) -> None:
    """``market.new_entities``: announced in this same transaction (an outbox row), so the
    dashboard counts the entity exactly when the registration commits."""
    events.announce_fact(
        "market.new_entities",
        timezone.now(),
        event_key=f"entity:{entity.uscc}",
        dimension=entity.entity_type,
        ref=entity.uscc,
        label=entity.name,
    )


@effects.register("registry.report_establishment", "上报开办用时", "Report the establishment time to the dashboard")
def report_establishment(ctx) -> dict:
    """企业开办用时: from submission to delivery, for the 24-hour / 60-minute indicators
    (announced as ``registry.establishments``)."""
    seconds = max((ctx.delivered_at - ctx.submitted_at).total_seconds(), 0)
    events.announce_fact(
        "registry.establishments",
        ctx.delivered_at,
        seconds=seconds,
        event_key=f"establishment:{ctx.number}",
        ref=ctx.number,
        label=ctx.results.get("entity_name", ""),
    )
    return {"establishment_seconds": round(seconds, 3)}


# 印章: the set a new company usually has engraved, in the order the PSB files them.
SEAL_NAMES = ("公章", "财务专用章", "发票专用章", "合同专用章", "法定代表人名章")
SEAL_NAMES_EN = ("Company seal", "Finance seal", "Invoice seal", "Contract seal", "Legal representative's seal")


def _seal_names(count: int, en: bool = False) -> str:
    names, other, sep = (SEAL_NAMES_EN, "Other seal {}", ", ") if en else (SEAL_NAMES, "其他印章{}", "、")
    return sep.join(names[i] if i < len(names) else other.format(i - len(names) + 1) for i in range(count))


# What each step produced (its department's numbers are on the step's document: the catalogue
# declares it, the engine issues it — cases.StepOutput).
STEP_OUTPUTS = {
    "seal": lambda e, d: {
        "seals": _seal_names(int(d.get("seal_count") or 1)),
        "seals_en": _seal_names(int(d.get("seal_count") or 1), en=True),
        "seal_count": int(d.get("seal_count") or 1),
    },
    "tax": lambda e, d: {
        "taxpayer_id": e.uscc,  # 多证合一: the USCC is the taxpayer identification number
        "invoice_type": d.get("invoice_type", ""),
        "invoice_quantity": d.get("invoice_quantity", 0),
    },
    "social_insurance": lambda e, d: {"employees": d.get("employees", 0)},
    "housing_fund": lambda e, d: {"employees": d.get("employees", 0)},
    "bank": lambda e, d: {"bank": d.get("bank", ""), "appointment_date": d.get("appointment_date", "")},
}


@effects.register("registry.record_step", "记录开办环节", "Record an establishment step")
def record_step(ctx) -> dict:
    """Seal, tax, social insurance, housing fund, bank: what each step produced, once."""
    step = ctx.task_key
    entity = _entity_of(ctx)
    steps = ctx.memo.get(_STEPS)
    if steps is None:  # the steps of this case, read once per engine run
        steps = ctx.memo[_STEPS] = {r.step: r for r in EstablishmentStep.objects.filter(entity=entity)}
    record = steps.get(step)
    if record is None:
        # The engine holds the case's lock: no other run can record this step meanwhile (the
        # unique (entity, step) constraint stands behind that), so no get_or_create savepoint.
        details = STEP_OUTPUTS.get(step, lambda e, d: dict(d))(entity, ctx.data.get(step) or {})
        record = steps[step] = EstablishmentStep(entity=entity, step=step, details=details, case_number=ctx.number)
        _save_steps(ctx, record)
    return {f"step_{step}": record.details}


_NEW_STEPS = "registry.new_steps"


def _save_steps(ctx, record: EstablishmentStep) -> None:
    """Insert the step with its audit event — inside an engine run, with the run's other new steps
    in one INSERT at its end."""
    pending = ctx.memo.get(_NEW_STEPS)
    if pending is None:
        pending = ctx.memo[_NEW_STEPS] = []

        def write():
            records = ctx.memo.pop(_NEW_STEPS)
            fastsql.create([r for r, _ in records])
            for r, actor in records:
                audit.record(actor, "entity.step_done", r, after={"step": r.step, **r.details})

        if not at_end_of_run(ctx, write):
            ctx.memo.pop(_NEW_STEPS)
            record.save()
            audit.record(ctx.actor, "entity.step_done", record, after={"step": record.step, **record.details})
            return
    pending.append((record, ctx.actor))


# ---------------------------------------------------------------- the business licence

# 类型 as the licence prints it: the market-entity type (市场主体类型), not the name's suffix.
# 企业开办 here is for natural persons founding a company, hence 自然人投资或控股.
COMPANY_TYPES = {
    "有限公司": "有限责任公司（自然人投资或控股）",
    "有限责任公司": "有限责任公司（自然人投资或控股）",
    "股份有限公司": "股份有限公司（非上市、自然人投资或控股）",
}


def company_type(org_form: str) -> str:
    return COMPANY_TYPES.get(org_form, org_form)


def licence_subject(entity: MarketEntity, applicant_id=None) -> dict:
    """The business licence's fields as the 2019 design prints them — 营业执照记载事项 (fixed at
    issue: the licence is a stable document; live permit status is on the verify page)."""

    capital = ""
    if entity.registered_capital is not None:
        capital = wording.amount_in_words(entity.registered_capital * 10000)  # stored in 万元
    subject = {
        "name": entity.name,
        "uscc": entity.uscc,
        "type": company_type(entity.org_form),
        "legal_representative": entity.legal_rep_name,
        "registered_capital": capital,
        "established_on": wording.date_zh(entity.established_on),
        "business_term": f"{wording.date_zh(entity.established_on)} 至 长期",
        "address": entity.address,
        "business_scope": entity.business_scope,
        "registration_authority": zone.registration_authority().name_zh,
    }
    if applicant_id is not None:
        subject["applicant_user_id"] = applicant_id
    return subject


@outputs.register("business_licence", "营业执照", "Business licence")
def business_licence(ctx) -> list[dict]:
    """营业执照, issued and signed in the name of the registration authority (登记机关)."""
    from zimao.licences import services as licences

    entity = _entity_of(ctx)
    cred = licences.issue_credential(
        kind="business_licence",
        title_zh="营业执照",
        title_en="Business licence",
        holder_uscc=entity.uscc,
        holder_name=entity.name,
        case_number=ctx.number,
        actor=ctx.actor,
        valid_from=entity.established_on,
        subject=licence_subject(entity, ctx.applicant_id),
        issuer=zone.registration_authority(),
        new_case=ctx.new_case,
    )
    return [
        {
            "identifier": cred.identifier,
            "kind": "business_licence",
            "title_zh": "营业执照",
            "title_en": "Business licence",
        }
    ]


@effects.register("registry.release_name", "释放名称", "Free the name held for this application")
def release_name_effect(ctx) -> dict:
    """A case that ends without a company frees its name (名称释放)."""
    release_reservation(ctx.number)
    return {}


def release_reservation(case_number: str) -> None:
    NameReservation.objects.filter(case_number=case_number, status=NameReservation.Status.RESERVED).update(
        status=NameReservation.Status.RELEASED
    )


def register_demo_entity(
    *, name: str, division: str, org_form: str, industry: str, established_on: date, uscc: str | None = None
) -> MarketEntity:
    """A demo company from the zone report: its USCC is generated and marked as such."""
    entity = MarketEntity.objects.filter(name=name).first()
    if entity:
        return entity
    return MarketEntity.objects.create(
        uscc=uscc or identifiers.issue_uscc(division),
        name=name,
        org_form=org_form,
        industry=industry,
        division=division,
        established_on=established_on,
        demo=True,
    )
