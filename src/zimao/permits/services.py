"""Permit services (准营): apply under 告知承诺 in one visit, the post-approval check and what a
false commitment does, the 直接取消审批 activity note, the business-scope advisor, and a
company's credentials in one place.

Permits are cases of the one case engine (``zimao.cases.services``) and credentials of the one
licence store (``zimao.licences.services``); what differs between permits is catalogue data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from zimao.cases import services as cases
from zimao.cases.models import Case
from zimao.catalog import services as catalog
from zimao.catalog.models import Officer, ServiceItem
from zimao.catalog.plugins import follow_ups
from zimao.core import audit
from zimao.core.errors import BusinessError, Conflict, Problem, forbidden, not_found
from zimao.permits import catalogue, indicators
from zimao.permits.models import Activity, ActivityNote, Commitment, CreditRecord, PostCheck, ReformMode

DEFAULT_POST_CHECK_DAYS = 20  # working days, when the item does not say (核查时限)


# ---------------------------------------------------------------- 告知承诺: apply in one visit


@dataclass
class Grant:
    case: Case
    credentials: list = field(default_factory=list)

    @property
    def granted(self) -> bool:
        return bool(self.credentials)


def commitment_item(code: str) -> ServiceItem:
    item = catalog.get_service(code)
    if not catalogue.commitment_items(item):
        raise BusinessError.of(
            "service", "not_commitment", "该事项不实行告知承诺", "This item is not granted on a commitment", status=409
        )
    return item


def apply_with_commitment(
    user,
    code: str,
    *,
    uscc: str,
    signer_name: str,
    agree: bool,
    data: dict | None = None,
    conditions_hash: str = "",
    idempotency_key: str = "",
    channel: str = "web",
) -> Grant:
    """实行告知承诺: the applicant has read the published conditions and signs; the permit is granted
    in the same visit and the department's post-approval check is scheduled.

    ``conditions_hash`` is the version the applicant read (``catalogue.conditions_version``): if the conditions changed meanwhile,
    they must read them again (a commitment binds to the text that was shown).
    """
    item = commitment_item(code)
    if conditions_hash and conditions_hash != catalogue.conditions_version(item):
        raise Conflict(
            Problem(
                "conditions_hash",
                "conditions_changed",
                "告知的许可条件已更新，请重新阅读后再承诺",
                "The published conditions have changed: read them again before you commit",
            )
        )
    payload = dict(data or {})
    payload["company"] = {**(payload.get("company") or {}), "uscc": uscc}
    payload["commitment"] = {"agree": bool(agree), "signer_name": signer_name}
    submission = cases.submit(user, item.code, payload, idempotency_key=idempotency_key, channel=channel)
    # The same visit: run the engine now rather than wait for the worker (it is idempotent, so
    # the worker finding the case already issued does nothing).
    case = cases.advance(submission.case.pk, user)
    case.refresh_from_db()
    return Grant(case, credentials_of_case(case))


def credentials_of_case(case: Case) -> list:
    from zimao.licences.models import Credential

    identifiers = [o["identifier"] for o in case.outputs if o.get("identifier")]
    found = {c.identifier: c for c in Credential.objects.filter(identifier__in=identifiers)}
    return [found[i] for i in identifiers if i in found]


def grant_commitment(commitment: Commitment, credential) -> PostCheck:
    """The permit is issued on the commitment: bind them and schedule the check (事后核查)."""
    if commitment.credential_identifier != credential.identifier or commitment.holder_uscc != credential.holder_uscc:
        commitment.credential_identifier = credential.identifier
        commitment.holder_uscc = credential.holder_uscc
        commitment.save(update_fields=["credential_identifier", "holder_uscc"])
    return schedule_post_check(commitment)


def schedule_post_check(commitment: Commitment) -> PostCheck:
    """A follow-up task for the item's department, due in the item's ``post_check_days`` working
    days; the sweep escalates it like any task and the workbench decides it (approve = the
    commitment is true, refuse = false), which the engine hands to ``decide_post_check_task``."""
    existing = PostCheck.objects.filter(commitment=commitment).first()
    if existing:
        return existing
    item = ServiceItem.objects.select_related("department").get(code=commitment.item_code)
    days = int(catalogue.facts(item).permit.get("post_check_days", DEFAULT_POST_CHECK_DAYS))
    task = cases.create_follow_up_task(
        commitment.case_number,
        stage_key="post_check",
        key=f"postcheck:{item.code}",
        department_code=item.department.code,
        name_zh=f"告知承诺事后核查：{item.name_zh}",
        name_en=f"Post-approval check of a commitment: {item.name_en}",
        due_days=days,
        actor="system:permits",
    )
    return PostCheck.objects.create(
        commitment=commitment, task=task, department=item.department, due_date=task.due_date
    )


@follow_ups.register("post_check", "告知承诺事后核查", "Post-approval check of a commitment")
def decide_post_check_task(task, user, outcome: str, reason: str) -> None:
    """The workbench's two clicks on a post-check: approve → the commitment is true; refuse → false."""
    check = PostCheck.objects.filter(task=task).first()
    if check is None:
        raise not_found("post_check")
    if outcome == "correct":
        raise BusinessError.of(
            "outcome", "invalid", "事后核查的结论只能是属实或不实", "A post-approval check is true or false", status=422
        )
    record_post_check(
        check.pk,
        user,
        "true" if outcome == "approve" else "false",
        reason or "核查属实 / the commitment was found true",
    )


# ---------------------------------------------------------------- the post-approval check

OUTCOMES = {"true", "false"}


def can_check(user, check: PostCheck) -> bool:
    officer = catalog.officer_of(user)
    if officer is None:
        return False
    return officer.role == Officer.Role.ADMIN or (
        officer.department_id == check.department_id and officer.role == Officer.Role.REVIEWER
    )


def post_checks_for(user, *, view: str = "open"):
    """The department's checks (核查任务): ``open`` by due date, or ``done``."""
    officer = catalog.officer_of(user)
    if officer is None:
        raise forbidden("post_checks")
    qs = PostCheck.objects.select_related("commitment", "task", "task__case", "department")
    if officer.role != Officer.Role.ADMIN:
        qs = qs.filter(department_id=officer.department_id)
    if view == "done":
        return list(qs.exclude(outcome="").order_by("-decided_at")[:200])
    return list(qs.filter(outcome="").order_by("due_date", "id")[:200])


def get_check_for(user, check_id: int) -> PostCheck:
    check = (
        PostCheck.objects.select_related("commitment", "task", "task__case", "department").filter(pk=check_id).first()
    )
    if check is None or not can_check(user, check):
        raise not_found("post_check")
    return check


FALSE_REASON = (
    "告知承诺事后核查发现承诺内容与实际不符，依法撤销许可：{findings}",
    "The post-approval check found the commitment false; the permit is revoked: {findings}",
)


def record_post_check(check_id: int, user, outcome: str, findings: str) -> PostCheck:
    """核查结论. ``true``: the commitment stands. ``false``: the permit is revoked at once (the
    public verification page says so from this moment), the company gets a credit record
    (失信记录) and the applicant is told."""
    from zimao.licences import services as licences
    from zimao.licences.models import Credential

    findings = (findings or "").strip()
    if outcome not in OUTCOMES:
        raise BusinessError.of(
            "outcome", "invalid", "核查结论只能是“属实”或“不实”", "The outcome is true or false", status=422
        )
    if not findings:
        raise BusinessError.of("findings", "required", "请填写核查情况", "Describe what the check found", status=422)
    if len(findings) > 2000:
        raise BusinessError.of("findings", "too_long", "核查情况不能超过2000字", "At most 2000 characters", status=422)
    with transaction.atomic():
        check = (
            PostCheck.objects.select_for_update(of=("self",))
            .select_related("commitment", "task", "task__case")
            .filter(pk=check_id)
            .first()
        )
        if check is None or not can_check(user, check):
            raise not_found("post_check")
        if check.outcome:
            raise Conflict(
                Problem("outcome", "already_decided", "该核查已有结论", "This check has already been recorded")
            )
        now = timezone.now()
        check.outcome, check.findings, check.decided_by, check.decided_at = outcome, findings, user, now
        check.save(update_fields=["outcome", "findings", "decided_by", "decided_at"])
        task = check.task
        cases.settle_follow_up(task, user, approved=outcome == "true", reason=findings)
        commitment = check.commitment
        commitment.status = Commitment.Status.VERIFIED if outcome == "true" else Commitment.Status.FALSE
        commitment.save(update_fields=["status"])
        audit.record(
            user,
            "post_check.recorded",
            check,
            after={"outcome": outcome, "case": commitment.case_number, "item": commitment.item_code},
        )
        case = task.case
        if outcome == "false":
            cred = Credential.objects.filter(identifier=commitment.credential_identifier).first()
            if cred is not None and cred.status != Credential.Status.REVOKED:
                licences.revoke(cred.identifier, FALSE_REASON[0].format(findings=findings), user)
            item = ServiceItem.objects.filter(code=commitment.item_code).first()
            name_zh = item.name_zh if item else commitment.item_code
            name_en = item.name_en if item else commitment.item_code
            record = CreditRecord.objects.create(
                holder_uscc=commitment.holder_uscc,
                holder_name=cred.holder_name if cred else "",
                kind=CreditRecord.Kind.FALSE_COMMITMENT,
                item_code=commitment.item_code,
                case_number=commitment.case_number,
                credential_identifier=commitment.credential_identifier,
                recorded_by=user,
                details_zh=f"“{name_zh}”告知承诺不实，许可已撤销。核查情况：{findings}",
                details_en=f"False commitment for {name_en}; the permit was revoked. Findings: {findings}",
            )
            audit.record(
                user,
                "credit.recorded",
                record,
                after={
                    "holder_uscc": record.holder_uscc,
                    "kind": record.kind,
                    "item": record.item_code,
                    "case": record.case_number,
                },
            )
            cases.notify(
                case,
                user=case.applicant,
                kind="permit_revoked",
                zh=f"经事后核查，您对“{name_zh}”的告知承诺与实际不符，许可已撤销并记入企业信用记录。",
                en=f"The post-approval check found your commitment for {name_en} false: the permit is revoked "
                "and recorded against the company.",
            )
        else:
            cases.notify(
                case,
                user=case.applicant,
                kind="check_passed",
                zh="告知承诺事后核查已完成，承诺属实，许可继续有效。",
                en="The post-approval check is done: your commitment was true and the permit stands.",
            )
        return check


# ---------------------------------------------------------------- 直接取消审批: note the activity


def note_activity(user, uscc: str, code: str) -> ActivityNote:
    """No case: the approval is abolished. The company's record notes the activity it declared."""
    from zimao.registry import services as registry

    item = catalog.get_service(code)
    if catalogue.reform_mode(item) != ReformMode.CANCELLED:
        raise BusinessError.of(
            "service",
            "not_cancelled",
            "该事项仍需办理，不能仅作记录",
            "This item still needs an application",
            status=409,
        )
    entity = registry.entity_by_uscc(uscc or "")
    if entity is None or entity.applicant_id != user.pk:
        raise BusinessError(
            Problem(
                "uscc",
                "not_your_company",
                "只能为您名下已登记的企业记录",
                "You can only note this for a company registered in your name",
            ),
            status=422,
        )
    with transaction.atomic():
        note, created = ActivityNote.objects.get_or_create(
            holder_uscc=entity.uscc,
            item_code=item.code,
            defaults={"activities": list(catalogue.facts(item).activities), "noted_by": user},
        )
        if created:
            audit.record(
                user,
                "activity.noted",
                note,
                after={"holder_uscc": entity.uscc, "item": item.code, "activities": note.activities},
            )
            indicators.activity_noted(note, entity.name, item)
    return note


# ---------------------------------------------------------------- the business-scope advisor


@dataclass
class Advice:
    activities: list
    unknown: list
    by_mode: dict
    industry_permits: list
    bundles: list

    @property
    def items(self) -> list:
        return [i for mode in catalogue.MODE_ORDER for i in self.by_mode.get(mode, [])]


def advise(activity_keys) -> Advice:
    """经营范围 → 准营: which permits the chosen activities need, in which mode, and the themed
    bundles (一件事一次办) and industry permits (一业一证) that serve them."""
    keys = [k for k in dict.fromkeys(str(k).strip() for k in activity_keys) if k]
    acts = {a.key: a for a in Activity.objects.filter(key__in=keys)}
    chosen = set(acts)
    by_mode: dict[str, list] = {m: [] for m in catalogue.MODE_ORDER}
    industry, seen = [], set()
    for item in catalogue.permit_items():
        if not chosen & set(catalogue.facts(item).activities):
            continue
        target = catalogue.merged_into(item) or item  # 两证合一: apply for the merged permit
        if target.code in seen:
            continue
        seen.add(target.code)
        if catalogue.facts(target).permit.get("covers") and catalogue.facts(target).permit.get("industry"):
            industry.append(target)
        else:
            by_mode.setdefault(catalogue.reform_mode(target), []).append(target)
    bundles = [
        s
        for s in catalog.published_services()
        if catalogue.is_bundle(s) and not catalogue.is_bundle_variant(s) and chosen & set(catalogue.facts(s).activities)
    ]
    return Advice(
        activities=[acts[k] for k in keys if k in acts],
        unknown=[k for k in keys if k not in acts],
        by_mode=by_mode,
        industry_permits=industry,
        bundles=bundles,
    )


# ---------------------------------------------------------------- a company's credentials in one place


@dataclass
class CompanyRecord:
    entity: object
    credentials: list  # [(credential, status label dict)]
    commitments: list
    credit_records: list
    activity_notes: list


def companies_of(user) -> list:
    from zimao.registry import services as registry

    if not getattr(user, "is_authenticated", False):
        return []
    return list(registry.entities_of(user))


def company_records(user) -> list[CompanyRecord]:
    """多证集成: every credential each of the user's companies holds, with its status today."""
    from zimao.licences import services as licences

    today = timezone.localdate()
    out = []
    for entity in companies_of(user):
        creds = licences.credentials_for(entity.uscc)
        out.append(
            CompanyRecord(
                entity=entity,
                credentials=[(c, licences.status_label(c.effective_status(today))) for c in creds],
                commitments=list(Commitment.objects.filter(holder_uscc=entity.uscc).select_related("post_check")),
                credit_records=list(CreditRecord.objects.filter(holder_uscc=entity.uscc)),
                activity_notes=list(ActivityNote.objects.filter(holder_uscc=entity.uscc)),
            )
        )
    return out


def company_record(user, uscc: str) -> CompanyRecord:
    for record in company_records(user):
        if record.entity.uscc == (uscc or "").strip().upper():
            return record
    raise not_found("company")
