"""The pieces the permit catalogue names (registered once, read by key from catalogue data):

- checks ``permits.company_registered`` — the company (``company.uscc``) is registered and
  active (and, where the engine passes the applicant, theirs) — and ``permits.commitment_agreed``
  (the commitment box is ticked, which the form engine cannot require of a yes/no field);
- effect ``permits.holder_of_applicant`` (on submit) — refuses an application for a company that
  is not the applicant's own (企业只能为自己申请许可);
- effect ``permits.record_commitment`` (on submit) — records the signed notification-commitment
  (告知承诺书): signer, time and the hash of the conditions as published;
- rule ``permits.commitment_signed`` — 告知承诺 approves on the spot when the commitment is signed
  against the conditions in force;
- task source ``permits.covered_items`` — one task per department for what a merged (两证合一) or
  industry (一业一证) permit covers;
- outputs ``permit`` and ``filing_receipt`` — signed credentials in the licence store, read from
  each item's catalogue entry (kind, title, validity…); a 告知承诺 permit also schedules its
  post-approval check (事后核查); each one is reported to the dashboard (``permits.indicators``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zimao.catalog.models import ServiceItem
from zimao.catalog.plugins import RuleResult, checks, effects, outputs, rules, task_sources
from zimao.core.errors import BusinessError, Problem
from zimao.permits import catalogue, indicators
from zimao.permits.models import Commitment, ReformMode

# Labels for the subject fields a permit prints (the licence store prints unknown keys raw).
PERMIT_FIELD_LABELS = {
    "permit_item": ("许可事项", "Permit item"),
    "competent_department": ("审批部门", "Competent department"),
    "covers": ("涵盖事项", "Items covered"),
    "premises": ("经营场所", "Business premises"),
    "commitment": ("告知承诺", "Notification-commitment"),
    "legal_basis": ("设定依据", "Legal basis"),
    "permit_number": ("许可证编号", "Permit number"),
    "business_form": ("主体业态", "Type of business"),
    "business_items": ("经营项目", "Business items"),
    "supervising_authority": ("日常监督管理机构", "Routine supervision"),
    "complaint_phone": ("投诉举报电话", "Complaints hotline"),
}

# 证照类型代码 sequence per permit kind (not per reform mode: 旅行社 and 拍卖 are different
# licences even though both are 告知承诺): 1xx permits, 2xx filing receipts, 3xx industry permits.
# An item may name its own with ``permit.type_seq`` in the catalogue.
PERMIT_TYPE_SEQ = {
    "permit": "100",
    "drug_retail_licence": "101",
    "device_class3_licence": "102",
    "vet_drug_licence": "103",
    "pesticide_licence": "104",
    "auction_licence": "105",
    "printing_licence": "106",
    "publication_retail_licence": "107",
    "travel_agency_licence": "108",
    "entertainment_licence": "109",
    "hr_services_licence": "110",
    "labour_dispatch_licence": "111",
    "road_transport_licence": "112",
    "construction_qualification": "113",
    "real_estate_qualification": "114",
    "sewer_discharge_permit": "115",
    "outdoor_sign_permit": "116",
    "fire_safety_permit": "117",
    "tobacco_retail_licence": "118",
    "public_hygiene_permit": "119",
    "hazchem_licence": "120",
    "security_services_licence": "121",
    "hotel_special_trade_licence": "122",
    "filing.prepackaged_food": "201",
    "filing.device_class2": "202",
    "filing.vehicle_repair": "203",
    "filing.environmental_registration": "204",
    "filing.prepaid_cards": "205",
    "filing.clinic": "206",
    "industry_permit.convenience_store": "301",
}


def register_licence_vocabulary() -> None:
    from zimao.licences import services as licences

    # 证照类型代码 under the zone's own code until the national catalogue codes are wired in:
    # 1xx is kept for permits (a generic permit; items may name their own kind and sequence).
    for kind, seq in PERMIT_TYPE_SEQ.items():
        licences.register_kind(kind, seq)
    for key, labels in PERMIT_FIELD_LABELS.items():
        licences.FIELD_LABELS.setdefault(key, labels)


def _service(code: str) -> ServiceItem:
    return ServiceItem.objects.select_related("department").get(code=code)


def _entity(uscc: str):
    from zimao.registry import services as registry

    return registry.entity_by_uscc(uscc) if uscc else None


def _active(entity) -> bool:
    return entity is not None and entity.status == "active"


def holder_uscc(ctx) -> str:
    """The company the permit is for: the one this case registered (一件事 with 企业开办), or the
    one the applicant named."""
    return (
        ctx.results.get("uscc") or ctx.results.get("holder_uscc") or (ctx.data.get("company") or {}).get("uscc") or ""
    )


# ---------------------------------------------------------------- at submission

NOT_YOURS = (
    "只能为您名下已登记的企业申请。请核对统一社会信用代码，或先办理企业开办。",
    "You can apply only for a company registered in your name. Check the code, or start the company first.",
)


@checks.register("permits.company_registered", "企业已登记", "The company is registered and active")
def company_registered(data: dict, applicant=None) -> list[Problem]:
    uscc = (data.get("company") or {}).get("uscc")
    if not uscc:
        return []
    entity = _entity(uscc)
    if not _active(entity):
        return [
            Problem(
                "company.uscc",
                "unknown_company",
                "没有查到以此代码登记的存续企业",
                "No active company is registered under this code",
            )
        ]
    if applicant is not None and entity.applicant_id != getattr(applicant, "pk", None):
        return [Problem("company.uscc", "not_your_company", *NOT_YOURS)]
    return []


@checks.register(
    "permits.commitment_agreed",
    "已勾选告知承诺且在经营范围内",
    "The commitment box is ticked, within the business scope",
)
def commitment_agreed(data: dict, applicant=None, service: ServiceItem | None = None) -> list[Problem]:
    """A box the form engine cannot require to be *ticked* (a bool is answered either way); and,
    told the service, a commitment only for what the company's registered business scope names:
    a software company cannot commit its way to a printing permit (变更经营范围 first)."""
    problems = []
    # The box when its section is there; the scope as soon as the company is (the section pages
    # run this before the commitment section is filled in).
    if "commitment" in data and (data.get("commitment") or {}).get("agree") is not True:
        problems.append(
            Problem(
                "commitment.agree",
                "required",
                "请阅读告知的许可条件，并勾选承诺",
                "Read the published conditions and tick the box to commit",
            )
        )
    if service is not None:
        uscc = (data.get("company") or {}).get("uscc") or ""
        registering = (data.get("registration") or {}).get("business_scope")
        if uscc:
            problems += scope_problems(service, uscc)
        elif registering is not None:  # 一件事 that registers the company: the scope it asks for
            problems += new_scope_problems(service, registering)
    return problems


def _gap_words(needed) -> tuple[str, str]:
    return "、".join(f"“{a.name_zh}”" for a in needed), ", ".join(f"'{a.name_en}'" for a in needed)


def scope_problems(service: ServiceItem, uscc: str) -> list[Problem]:
    """One problem per 告知承诺 item the company's registered scope does not name (none when the
    company is unknown: ``permits.company_registered`` says so)."""
    entity = _entity(uscc)
    if not _active(entity):
        return []
    problems = []
    for item, needed in catalogue.out_of_scope(service, entity.business_scope):
        names_zh, names_en = _gap_words(needed)
        problems.append(
            Problem(
                "company.uscc",
                "out_of_business_scope",
                f"{entity.name}的登记经营范围（{entity.business_scope or '未登记'}）不含{names_zh}，"
                f"不能以告知承诺方式申请“{item.name_zh}”。请先办理变更经营范围（变更登记），再申请。",
                f"The registered business scope of {entity.name} ({entity.business_scope or 'none registered'}) "
                f"does not include {names_en}, so '{item.name_en}' cannot be granted on a commitment. "
                "Change the business scope first (a change of registration), then apply.",
            )
        )
    return problems


def new_scope_problems(service: ServiceItem, scope: str) -> list[Problem]:
    """The same check for a company registered in the same application: its scope must name what
    the commitment is for."""
    problems = []
    for item, needed in catalogue.out_of_scope(service, scope):
        names_zh, names_en = _gap_words(needed)
        problems.append(
            Problem(
                "registration.business_scope",
                "out_of_business_scope",
                f"经营范围未包含{names_zh}，不能以告知承诺方式申请“{item.name_zh}”。请在经营范围中写明。",
                f"The business scope does not include {names_en}, so '{item.name_en}' cannot be granted on a "
                "commitment. Add it to the business scope.",
            )
        )
    return problems


@effects.register("permits.holder_of_applicant", "核对申请企业", "Check the company is the applicant's own")
def holder_of_applicant(ctx) -> dict:
    uscc = (ctx.data.get("company") or {}).get("uscc")
    if not uscc:
        return {}
    entity = _entity(uscc)
    if not _active(entity) or entity.applicant_id != ctx.applicant_id:
        raise BusinessError(Problem("company.uscc", "not_your_company", *NOT_YOURS), status=422)
    return {"holder_uscc": entity.uscc, "holder_name": entity.name}


@effects.register("permits.record_commitment", "记录告知承诺书", "Record the signed commitment")
def record_commitment(ctx) -> dict:
    """告知承诺书: one row per item committed to, with the conditions exactly as read."""
    from django.contrib.auth import get_user_model

    from zimao.core import audit

    items = catalogue.commitment_items(_service(ctx.service_code))
    if not items:
        return {}
    signed = ctx.data.get("commitment") or {}
    problems = []
    if signed.get("agree") is not True:
        problems.append(
            Problem(
                "commitment.agree",
                "required",
                "请阅读告知的许可条件，并勾选承诺",
                "Read the published conditions and tick the box to commit",
            )
        )
    signer_name = str(signed.get("signer_name") or "").strip()
    if not signer_name:
        problems.append(
            Problem("commitment.signer_name", "required", "请填写承诺人姓名", "Enter the name of the person committing")
        )
    if problems:
        raise BusinessError(*problems, status=422)
    signer = get_user_model().objects.get(pk=ctx.applicant_id)
    now = timezone.now()
    recorded = []
    for item in items:
        row, created = Commitment.objects.get_or_create(
            case_number=ctx.number,
            item_code=item.code,
            defaults={
                "holder_uscc": (ctx.data.get("company") or {}).get("uscc", ""),
                "signer": signer,
                "signer_name": signer_name,
                "signed_at": now,
                "text_hash": catalogue.conditions_hash(item),
                "conditions_zh": catalogue.facts(item).conditions_zh,
                "conditions_en": catalogue.facts(item).conditions_en,
            },
        )
        if created:
            audit.record(
                ctx.actor,
                "commitment.signed",
                row,
                after={"case": ctx.number, "item": item.code, "signer_name": signer_name, "text_hash": row.text_hash},
            )
        recorded.append({"item": item.code, "text_hash": row.text_hash})
    return {"commitments": recorded}


# ---------------------------------------------------------------- 秒批 rule


def _items_for_rule(ctx, service: ServiceItem) -> list[ServiceItem]:
    everything = catalogue.commitment_items(service)
    key = ctx.task_key or ""
    if not key or key == "intake":
        return everything
    if ":" in key:  # a task for what a merged or industry permit covers in one department
        code, dept = key.split(":", 1)
        owner = ServiceItem.objects.filter(code=code).first()
        return (
            [
                c
                for c in catalogue.covered_items(owner)
                if c.department.code == dept and catalogue.reform_mode(c) == ReformMode.COMMITMENT
            ]
            if owner
            else []
        )
    return [i for i in everything if i.code == key]


@rules.register(
    "permits.commitment_signed", "已签署告知承诺书", "The commitment is signed against the conditions in force"
)
def commitment_signed(ctx) -> RuleResult:
    service = _service(ctx.service_code)
    items = _items_for_rule(ctx, service)
    if not items:
        return RuleResult(False, "该事项不实行告知承诺", "this item is not granted on a notification-commitment")
    signed = {
        c.item_code: c for c in Commitment.objects.filter(case_number=ctx.number, item_code__in=[i.code for i in items])
    }
    for item in items:
        row = signed.get(item.code)
        if row is None:
            return RuleResult(
                False, f"尚未签署“{item.name_zh}”的告知承诺书", f"no signed commitment for {item.name_en}"
            )
        if row.text_hash != catalogue.conditions_hash(item):
            return RuleResult(
                False,
                f"“{item.name_zh}”告知的条件已更新，需要审核",
                f"the conditions of {item.name_en} changed after signing",
            )
    return RuleResult(True)


# ---------------------------------------------------------------- merged and industry permits


@task_sources.register(
    "permits.covered_items", "合并事项按部门审核", "One task per department for the items a permit covers"
)
def covered_item_tasks(ctx) -> list[dict]:
    """两证合一 / 一业一证: the departments of the covered items review in parallel. A department
    whose items are all filings or commitments approves at once (备案即办 / 告知承诺)."""
    specs = []
    for item in catalogue.items_of(_service(ctx.service_code)):
        groups: dict[str, list[ServiceItem]] = {}
        for covered in catalogue.covered_items(item):
            groups.setdefault(covered.department.code, []).append(covered)
        for dept, group in groups.items():
            modes = {catalogue.reform_mode(c) for c in group}
            if modes <= {ReformMode.FILING, ReformMode.COMMITMENT}:
                auto = ["permits.commitment_signed"] if ReformMode.COMMITMENT in modes else ["always"]
            else:
                auto = []
            specs.append(
                {
                    "key": catalogue.covered_task_key(item, dept),
                    "department": dept,
                    "name_zh": ("、".join(c.name_zh for c in group))[:100],
                    "name_en": ("; ".join(c.name_en for c in group))[:150],
                    "auto_approve_if": auto,
                }
            )
    return specs


# ---------------------------------------------------------------- outputs


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months (the 31st becomes the month's last day)."""
    import calendar as cal

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, cal.monthrange(year, month)[1]))


def valid_until(item: ServiceItem, start: dt.date) -> dt.date | None:
    """有效期: ``validity_months`` from the day of issue (inclusive); empty is long-term (长期)."""
    if not catalogue.facts(item).validity_months:
        return None
    return add_months(start, catalogue.facts(item).validity_months) - dt.timedelta(days=1)


def _choice_label(item: ServiceItem, dotted: str, value) -> str:
    from zimao.catalog.forms import iter_fields

    section_key, _, field_key = dotted.partition(".")
    for section, field in iter_fields(item.form):
        if section["key"] == section_key and field["key"] == field_key:
            labels = {c[0]: c[1] for c in field.get("choices", []) if isinstance(c, (list, tuple)) and len(c) > 1}
            values = value if isinstance(value, list) else [value]
            return "、".join(str(labels.get(v, v)) for v in values)
    return "、".join(map(str, value)) if isinstance(value, list) else str(value)


def _subject(item: ServiceItem, entity, ctx, covered: list[ServiceItem], today: dt.date) -> dict:
    from zimao.catalog.process import lookup

    cfg = catalogue.facts(item).permit
    mode_zh, mode_en = catalogue.mode_words(catalogue.reform_mode(item))
    scope = cfg.get("scope_zh", "")
    if cfg.get("scope_from"):
        chosen = lookup(ctx.data, cfg["scope_from"])
        if chosen:
            scope = _choice_label(item, cfg["scope_from"], chosen)
    subject = {
        "name": entity.name,
        "uscc": entity.uscc,
        "permit_item": item.name_zh,
        "reform_mode": f"{mode_zh} {mode_en}",
        "competent_department": issuing_authority(item).name_zh,
        "legal_basis": item.legal_basis,
        "applicant_user_id": ctx.applicant_id,
    }
    # What every permit prints about its holder (法定代表人（负责人）, 住所); a kind's own fields follow.
    for key, value in (("legal_representative", entity.legal_rep_name), ("address", entity.address)):
        if value:
            subject[key] = value
    subject.update(_document_fields(item, entity, ctx, issuing_authority(item)))
    if scope:
        subject["permit_scope"] = scope
    premises = lookup(ctx.data, cfg.get("premises_from", "premises.address"))
    if premises:
        subject["premises"] = premises
    if covered:
        subject["covers"] = "；".join(c.name_zh for c in covered)
    if catalogue.reform_mode(item) == ReformMode.COMMITMENT or any(
        catalogue.reform_mode(c) == ReformMode.COMMITMENT for c in covered
    ):
        subject["commitment"] = f"申请人已签署告知承诺书（{today.isoformat()}），审批部门将事后核查"
    return subject


def type_code(item: ServiceItem, kind: str) -> str:
    """证照类型代码 of the item's permit kind (the catalogue's ``type_seq`` first)."""
    from zimao.licences import services as licences

    seq = catalogue.facts(item).permit.get("type_seq")
    if kind not in licences.KIND_TYPE_SEQ and not seq:
        # A kind new to the catalogue: its own kind of receipt or permit, not another kind's code.
        seq = licences.KIND_TYPE_SEQ["filing_receipt" if catalogue.reform_mode(item) == ReformMode.FILING else "permit"]
    return licences.type_code_for(kind, str(seq) if seq else None)


def issuing_authority(item: ServiceItem):
    """The authority that decides the item (its department's, per the zone profile) — 发证机关."""
    from zimao.catalog import zone

    return zone.authority_for(item.department.code)


def _document_fields(item: ServiceItem, entity, ctx, authority) -> dict:
    """The kind's own printed fields, as its catalogue entry lists them (``permit.fields``):
    ``{"key", "from": form path | "value": constant | "source": authority/legal_representative/address}``,
    with ``words`` (a form choice → printed words), ``suffix`` (e.g. 万元) and ``label_zh``/``label_en``
    (the words the document prints; a spec with labels only relabels a common field, such as
    ``permit_scope`` printed as 经营范围). Its number follows ``permit.number`` (``numbers``).
    Labels and their order travel in the subject as ``_labels`` (not printed as a field)."""
    from zimao.catalog import zone
    from zimao.catalog.process import lookup
    from zimao.permits import numbers

    cfg = catalogue.facts(item).permit
    sources = {"authority": authority.name_zh, "legal_representative": entity.legal_rep_name, "address": entity.address}
    out = {}
    labels = []
    for spec in cfg.get("fields", []):
        if spec.get("label_zh"):
            labels.append([spec["key"], spec["label_zh"], spec.get("label_en") or spec["label_zh"]])
        if "value" in spec:
            value = spec["value"]
        elif "source" in spec:
            value = sources.get(spec["source"], "")
        elif "from" in spec:
            value = lookup(ctx.data, spec["from"])
            if spec.get("words") and value in spec["words"]:
                value = spec["words"][value]
            elif value not in (None, ""):
                value = _choice_label(item, spec["from"], value)
        else:
            continue  # a label only
        if value not in (None, ""):
            out[spec["key"]] = f"{value}{spec['suffix']}" if spec.get("suffix") else value
    number = cfg.get("number") or numbers.GENERIC
    form_answer = lookup(ctx.data, number["form_code_from"]) if number.get("form_code_from") else None
    out["permit_number"] = numbers.render(
        number, division=zone.current().division, today=timezone.localdate(), form_answer=form_answer
    )
    default = (
        ("备案编号", "Filing number")
        if catalogue.reform_mode(item) == ReformMode.FILING
        else ("许可证编号", "Permit number")
    )
    labels.insert(0, ["permit_number", number.get("label_zh", default[0]), number.get("label_en", default[1])])
    out["_labels"] = labels
    return out


def credential_kind(item: ServiceItem) -> str:
    return catalogue.facts(item).permit.get("kind") or f"permit.{item.code}"


def issue_permit(item: ServiceItem, ctx):
    """Sign the item's credential for the case's company; a 告知承诺 grant schedules its check."""
    from zimao.licences import services as licences
    from zimao.permits import services

    uscc = holder_uscc(ctx)
    entity = _entity(uscc)
    if entity is None:
        raise BusinessError(
            Problem("company.uscc", "no_holder", "无法确定持证企业", "The permit holder is unknown"), status=409
        )
    cfg = catalogue.facts(item).permit
    today = timezone.localdate()
    covered = catalogue.covered_items(item)
    kind = credential_kind(item)
    cred = licences.issue_credential(
        kind=kind,
        title_zh=cfg.get("title_zh") or item.name_zh,
        title_en=cfg.get("title_en") or item.name_en,
        holder_uscc=entity.uscc,
        holder_name=entity.name,
        subject=_subject(item, entity, ctx, covered, today),
        valid_from=today,
        valid_until=valid_until(item, today),
        case_number=ctx.number,
        actor=ctx.actor,
        type_code=type_code(item, kind),
        issuer=issuing_authority(item),
    )
    codes = [item.code] + [c.code for c in covered]
    for commitment in Commitment.objects.filter(case_number=ctx.number, item_code__in=codes):
        services.grant_commitment(commitment, cred)
    # The dashboard's permits.issued, in the engine's transaction (counted once per credential).
    indicators.permit_issued(item, cred)
    return cred


def _issue(ctx, output: str) -> list[dict]:
    refs = []
    for item in catalogue.items_of(_service(ctx.service_code)):
        if not catalogue.is_permit_item(item) or output not in catalogue.item_outputs(item):
            continue
        cred = issue_permit(item, ctx)
        refs.append(
            {
                "identifier": cred.identifier,
                "kind": cred.kind,
                "title_zh": cred.title_zh,
                "title_en": cred.title_en,
                "item": item.code,
            }
        )
    return refs


@outputs.register("permit", "许可证", "Permit")
def permit_output(ctx) -> list[dict]:
    return _issue(ctx, "permit")


@outputs.register("filing_receipt", "备案回执", "Filing receipt")
def filing_receipt_output(ctx) -> list[dict]:
    return _issue(ctx, "filing_receipt")
