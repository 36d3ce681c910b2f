"""Counter intake (前台综合受理): a window clerk takes a walk-in applicant's application.

The clerk finds the applicant by identity document — its type and number (looked up by the keyed
digest of both, never stored or shown in full) or opens an account for them (phone number protected, no usable password until
they claim it), fills in the same catalogue form the portal uses on their behalf (``IntakeDraft``
is the portal's ``Draft`` kept on the server), scans the materials through the same upload checks,
and sends a one-time code to the applicant's phone. Only the applicant's code submits the case —
through the engine, as the applicant, with the clerk recorded as agent (代办) in its history.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from zimao.cases import services as cases
from zimao.catalog import forms as engine
from zimao.catalog import services as catalog
from zimao.catalog.models import Officer
from zimao.core import audit, protected, sms
from zimao.core.errors import BusinessError, Problem, not_found
from zimao.core.identifiers import ID_RESIDENT, validate_id_document
from zimao.web.drafts import Draft
from zimao.web.models import Intake, Profile

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5  # wrong codes before the code is void and a new one must be sent
MAX_CODES = 5  # codes one intake may send
PURPOSE = "intake.confirm"


# ---------------------------------------------------------------- who may


def is_window_clerk(user) -> bool:
    """Only the comprehensive window's clerks take applications at the counter."""
    officer = catalog.officer_of(user)
    return officer is not None and (officer.role == Officer.Role.CLERK or officer.department.is_window)


def clerk_name(user) -> str:
    return user.get_full_name() or user.first_name or user.username


# ---------------------------------------------------------------- the applicant


def checked_id(id_number: str, id_type: str = ID_RESIDENT) -> str:
    """The identity document number as its type writes it; a bilingual 422 when it is not one."""
    result = validate_id_document(id_type, id_number)
    if result.problems:
        raise BusinessError(*result.problems, status=422)
    return result.value


def find_applicant(id_number: str, id_type: str = ID_RESIDENT) -> Profile | None:
    """The applicant holding this identity document, by keyed digest; None when nobody does."""
    number = checked_id(id_number, id_type)
    return Profile.objects.select_related("user").filter(id_digest=document_digest(id_type, number)).first()


def create_applicant(
    clerk, *, name: str, id_number: str, phone: str, phone_shared: bool = False, id_type: str = ID_RESIDENT
) -> Profile:
    """Open an account for a walk-in applicant: no usable password until they claim it. When an
    account registered online without an identity number uses the same phone, it is probably the
    applicant's: refused (409) unless the clerk says it belongs to someone else (``phone_shared``)."""
    problems = []
    name = (name or "").strip()
    phone = (phone or "").strip().replace(" ", "")
    if not name:
        problems.append(Problem("name", "required", "请填写申请人姓名", "Enter the applicant's name"))
    elif len(name) > 60:
        problems.append(Problem("name", "too_long", "姓名不能超过60个字", "The name may have at most 60 characters"))
    if not sms.PHONE.match(phone):
        problems.append(
            Problem(
                "phone",
                "invalid",
                "请填写申请人本人的11位手机号码，用于接收确认验证码",
                "Enter the applicant's own 11-digit mobile number: the confirmation code is sent to it",
            )
        )
    result = validate_id_document(id_type, id_number)
    problems += result.problems
    if problems:
        raise BusinessError(*problems, status=422)
    number = result.value
    digest = document_digest(id_type, number)
    with transaction.atomic():
        if Profile.objects.filter(id_digest=digest).exists():
            resident = id_type == ID_RESIDENT
            raise BusinessError.of(
                "id_number",
                "exists",
                "该身份证号码已有账户，请直接查找" if resident else "该证件号码已有账户，请直接查找",
                "An account with this identity number already exists; find it instead"
                if resident
                else "An account with this identity document already exists; find it instead",
                status=409,
            )
        if (
            not phone_shared
            and Profile.objects.filter(phone_digest=protected.lookup_digest(phone), id_digest="").exists()
        ):
            raise BusinessError.of(
                "phone",
                "in_use",
                "有网上注册的账户使用该手机号码但未登记身份证号码：如是申请人本人的，请按手机号码查找并登记身份证号码；"
                "如属他人，请勾选“该账户属于他人”后再开立",
                "An account registered online uses this mobile number and has no identity number: if it is the "
                "applicant's, find it by phone and add the number; if it is someone else's, tick "
                "“That account is someone else's” and open the account",
                status=409,
            )
        user = get_user_model()(username=f"walkin-{uuid.uuid4().hex[:12]}", first_name=name)
        user.set_unusable_password()
        user.save()
        profile = Profile.objects.create(
            user=user, **phone_fields(phone), **identity_fields(number, id_type), at_counter=True
        )
        audit.record(
            clerk,
            "user.registered_at_window",
            user,
            after={"username": user.username, "phone": profile.phone_masked, **identity_audit(profile)},
        )
    return profile


def profile_of(user) -> Profile | None:
    return Profile.objects.filter(user=user).first()


# ---------------------------------------------------------------- identity and phone on file


def document_digest(id_type: str, number: str) -> str:
    """The keyed digest of an identity document: of (type, number), so one account per document.
    A resident card's is the digest of its number alone, as before document types existed (the
    accounts on file keep theirs; no other type's number can collide with it, each is prefixed)."""
    if not id_type or id_type == ID_RESIDENT:
        return protected.lookup_digest(number)
    return protected.lookup_digest(f"{id_type}:{number}")


def identity_fields(number: str, id_type: str = ID_RESIDENT) -> dict:
    """A checked identity document as ``Profile`` keeps it: its type, the number encrypted and
    masked, and the keyed digest of both."""
    id_type = id_type or ID_RESIDENT
    return {
        "id_type": id_type,
        "id_number": number,
        "id_masked": protected.mask_document_number(number),
        "id_digest": document_digest(id_type, number),
    }


def identity_audit(profile: Profile) -> dict:
    """The identity document as the audit trail records it: masked, with its type unless it is the
    resident card (the events recorded before document types existed read the same)."""
    after = {"id_number": profile.id_masked}
    if profile.id_type and profile.id_type != ID_RESIDENT:
        after["id_type"] = profile.id_type
    return after


def phone_fields(phone: str) -> dict:
    """A phone number as ``Profile`` keeps it: encrypted, masked, and its keyed digest."""
    if not phone:
        return {"phone": "", "phone_masked": "", "phone_digest": ""}
    return {"phone": phone, "phone_masked": protected.mask_phone(phone), "phone_digest": protected.lookup_digest(phone)}


def id_number_taken(number: str, id_type: str = ID_RESIDENT) -> bool:
    return Profile.objects.filter(id_digest=document_digest(id_type, number)).exists()


ID_TAKEN = (
    "该身份证号码不能用于开立新账户。如您已有账户，请直接登录；如账户是在政务服务窗口为您开立的，请认领账户；"
    "如有疑问，请携带居民身份证到服务中心综合窗口办理",
    "This identity number cannot be used to open a new account. If you already have an account, log in; "
    "if one was opened for you at the service window, claim it; otherwise bring your identity card to the "
    "service centre's comprehensive window",
)


DOCUMENT_TAKEN = (
    "该证件号码不能用于开立新账户。如您已有账户，请直接登录；如账户是在政务服务窗口为您开立的，请认领账户；"
    "如有疑问，请携带该证件到服务中心综合窗口办理",
    "This identity document cannot be used to open a new account. If you already have an account, log in; "
    "if one was opened for you at the service window, claim it; otherwise bring the document to the "
    "service centre's comprehensive window",
)


def id_taken_problem(field: str = "id_number", id_type: str = ID_RESIDENT) -> Problem:
    """One account per identity document. The refusal says no more than the rule makes unavoidable:
    not which account, nor how it was opened, nor its phone — and the registration that asks is
    throttled like any other (docs/window.md)."""
    return Problem(field, "taken", *(ID_TAKEN if id_type in ("", ID_RESIDENT) else DOCUMENT_TAKEN))


def register_profile(user, *, id_number: str, phone: str = "", id_type: str = ID_RESIDENT) -> Profile:
    """The profile of an account registered online: its identity document (checked by the caller)
    and optional phone, protected. Raises ``BusinessError`` (409) when the number is taken, also
    when a concurrent registration took it a moment ago (the unique constraint)."""
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            identity = identity_fields(id_number, id_type) if id_number else {}
            return Profile.objects.create(user=user, **phone_fields(phone), **identity)
    except IntegrityError:
        raise BusinessError(id_taken_problem(id_type=id_type), status=409) from None


def masked_name(name: str) -> str:
    """``张三丰`` → ``张**``: enough for the applicant to recognise, not to identify a stranger."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


# ---------------------------------------------------------------- attaching an identity number at the window

ATTACH_PURPOSE = "intake.attach"
ATTACH_RESEND = timedelta(minutes=1)  # at most one attach code a minute per account


def checked_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if not sms.PHONE.match(phone):
        raise BusinessError.of(
            "phone",
            "invalid",
            "请填写申请人注册时使用的11位手机号码",
            "Enter the 11-digit mobile number the applicant registered with",
            status=422,
        )
    return phone


def accounts_without_id(phone: str) -> list[Profile]:
    """Accounts registered with this phone (by keyed digest) that have no identity number yet: an
    account holding another identity number is someone else's and is never offered."""
    phone = checked_phone(phone)
    return list(
        Profile.objects.select_related("user")
        .filter(phone_digest=protected.lookup_digest(phone), id_digest="")
        .order_by("created_at", "pk")
    )


def _attachable(profile_id, phone: str):
    return (
        Profile.objects.select_for_update()
        .select_related("user")
        .filter(pk=profile_id, phone_digest=protected.lookup_digest(phone), id_digest="")
        .first()
    )


def _no_such_account() -> BusinessError:
    return BusinessError.of(
        "phone",
        "not_found",
        "没有使用该手机号码且未登记身份证号码的账户",
        "No account without an identity number uses this mobile number",
        status=404,
    )


def send_attach_code(clerk, profile_id, phone: str) -> Profile:
    """Text a code to the phone of an account that has no identity number, so its holder — and
    only its holder — lets the clerk attach the number presented at the window."""
    phone = checked_phone(phone)
    with transaction.atomic():
        profile = _attachable(profile_id, phone)
        if profile is None:
            raise _no_such_account()
        now = timezone.now()
        if profile.code_hash and profile.code_expires_at and profile.code_expires_at - CODE_TTL + ATTACH_RESEND > now:
            return profile  # a code was sent a moment ago and still works
        code = new_code(profile)
        profile.save(update_fields=["code_hash", "code_expires_at", "code_attempts"])
        audit.record(clerk, "user.id_attach_code_sent", profile.user, after={"phone": profile.phone_masked})
        minutes = int(CODE_TTL.total_seconds() // 60)
        sms.send_sms(
            profile.phone,
            f"验证码{code}：窗口工作人员{clerk_name(clerk)}正为您的账户登记身份证号码，{minutes}分钟内有效，"
            f"如非本人在窗口办理请勿告知他人。 Code {code} lets the window clerk add your identity number to "
            f"your account; valid {minutes} minutes. Do not share it unless you are at the window.",
            purpose=ATTACH_PURPOSE,
            secret=True,
        )
        return profile


def attach_id(clerk, profile_id, phone: str, id_number: str, code: str, id_type: str = ID_RESIDENT) -> Profile:
    """The holder's code is right: the account gets the identity document (one account per document)."""
    number = checked_id(id_number, id_type)
    phone = checked_phone(phone)
    error = None
    with transaction.atomic():
        profile = _attachable(profile_id, phone)
        if profile is None:
            raise _no_such_account()
        error = code_problem(profile, code)
        if error is None:
            if id_number_taken(number, id_type):
                raise BusinessError(id_taken_problem(id_type=id_type), status=409)
            for name, value in identity_fields(number, id_type).items():
                setattr(profile, name, value)
            profile.code_hash = ""
            profile.save(update_fields=["id_type", "id_number", "id_masked", "id_digest", "code_hash", "code_attempts"])
            audit.record(clerk, "user.id_attached", profile.user, after=identity_audit(profile))
            return profile
        profile.save(update_fields=["code_hash", "code_attempts"])
    raise BusinessError(error, status=422)


# ---------------------------------------------------------------- the application


def start(clerk, applicant, service_code: str) -> Intake:
    service = catalog.get_service(service_code)
    if profile_of(applicant) is None or not profile_of(applicant).phone:
        raise BusinessError.of(
            "applicant", "no_phone", "申请人没有登记手机号码", "The applicant has no mobile number on file", status=409
        )
    intake = Intake.objects.create(
        clerk=clerk, applicant=applicant, service_code=service.code, idempotency_key=f"intake-{uuid.uuid4().hex}"
    )
    audit.record(clerk, "intake.started", intake, after={"service": service.code, "applicant": applicant.username})
    return intake


def sweep_abandoned(now=None, limit: int = 1000) -> int:
    """Delete intakes never confirmed within ``settings.INTAKE_RETENTION_HOURS`` of being started,
    with the scans uploaded for them (``zimao intake sweep``). Each is locked as ``confirm`` locks
    it, so an intake confirmed meanwhile is kept."""
    from django.conf import settings

    cutoff = (now or timezone.now()) - timedelta(hours=settings.INTAKE_RETENTION_HOURS)
    removed = 0
    stale = Intake.objects.filter(case_number="", created_at__lt=cutoff).values_list("pk", flat=True)
    for pk in list(stale[:limit]):
        with transaction.atomic():
            intake = Intake.objects.select_for_update().select_related("applicant").filter(pk=pk).first()
            if intake is None or intake.case_number:
                continue
            for item in (intake.materials or {}).values():
                if item.get("id"):
                    cases.discard_unattached_material(intake.applicant, item["id"])
            audit.record(
                "system:sweep",
                "intake.expired",
                intake,
                after={"service": intake.service_code, "applicant": intake.applicant.username},
            )
            intake.delete()
            removed += 1
    return removed


def get_intake(ref) -> Intake:
    intake = Intake.objects.select_related("applicant", "clerk").filter(ref=ref).first()
    if intake is None:
        raise not_found("intake")
    return intake


class IntakeDraft(Draft):
    """The portal's draft (same sections, same progress, same hand-over to the engine), kept on
    the intake row instead of the browser session, with materials owned by the applicant."""

    def __init__(self, intake: Intake, service):
        self.intake = intake
        self.service = service
        self.sections = intake.sections or {}
        self.materials = intake.materials or {}

    def save_section(self, key: str, values: dict) -> None:
        self.sections[key] = values
        self.intake.sections = self.sections
        self.intake.save(update_fields=["sections"])

    def save_material(self, key: str, material) -> None:
        replaced = (self.materials.get(key) or {}).get("id")
        if replaced and replaced != material.pk:
            cases.discard_unattached_material(self.intake.applicant, replaced)
        self.materials[key] = {"id": material.pk, "name": material.original_name, "size": material.size}
        self.intake.materials = self.materials
        self.intake.save(update_fields=["materials"])

    def clear(self) -> None:  # the intake keeps its answers as the record of what was confirmed
        pass


def draft_of(intake: Intake) -> IntakeDraft:
    return IntakeDraft(intake, catalog.get_service(intake.service_code))


def upload(draft: IntakeDraft, key: str, name: str, content: bytes):
    """A scanned material, through the portal's content and size checks, owned by the applicant."""
    material = cases.upload_material(draft.intake.applicant, key, name, content)
    draft.save_material(key, material)
    return material


# ---------------------------------------------------------------- the one-time code


def _code_hash(holder, code: str) -> str:
    return salted_hmac(f"zimao.web.code.{holder._meta.label}", f"{holder.pk}:{code}").hexdigest()


def new_code(holder) -> str:
    """A fresh 6-digit one-time code for ``holder`` (an intake, or a profile being claimed): its
    keyed hash, expiry and attempt count are set on it (the caller saves it)."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    holder.code_hash = _code_hash(holder, code)
    holder.code_expires_at = timezone.now() + CODE_TTL
    holder.code_attempts = 0
    return code


def code_problem(holder, code: str, field: str = "code") -> Problem | None:
    """None when ``code`` is ``holder``'s current code; otherwise what is wrong, one attempt
    spent, and the code void after ``MAX_ATTEMPTS`` wrong ones or once expired (the caller saves)."""
    code = (code or "").strip()
    if not holder.code_hash:
        return Problem(
            field,
            "no_code",
            "验证码已失效，请重新发送验证码",
            "There is no valid code; send a new code",
        )
    if holder.code_expires_at is None or holder.code_expires_at <= timezone.now():
        holder.code_hash = ""
        return Problem(field, "expired", "验证码已过期，请重新发送验证码", "The code has expired; send a new code")
    if not code:
        return Problem(field, "required", "请输入收到的6位验证码", "Enter the 6-digit code that was sent")
    if len(code) == 6 and code.isdigit() and constant_time_compare(_code_hash(holder, code), holder.code_hash):
        return None
    holder.code_attempts += 1
    left = MAX_ATTEMPTS - holder.code_attempts
    if left <= 0:
        holder.code_hash = ""
        return Problem(
            field,
            "too_many_attempts",
            "验证码错误次数过多，已失效，请重新发送验证码",
            "Too many wrong codes: this code no longer works; send a new code",
        )
    return Problem(
        field,
        "wrong",
        f"验证码不正确，还可以再试{left}次",
        f"The code is not right; {left} attempt{'s' if left != 1 else ''} left",
    )


def send_code(intake: Intake, clerk, *, delivery_method: str, mail_address: str = "") -> None:
    """Check the application as the engine will, then text the applicant a 6-digit code."""
    if intake.case_number:
        raise BusinessError.of(
            "code", "confirmed", "该申请已确认提交", "This application was already confirmed", status=409
        )
    draft = draft_of(intake)
    _, problems = engine.validate(draft.service.form, draft.application_data())
    if not draft.materials_done():
        problems.append(
            Problem("materials", "required", "还有必需的材料未上传", "Some required materials are not uploaded")
        )
    if delivery_method not in ("electronic", "window", "mail"):
        problems.append(
            Problem("delivery_method", "invalid", "请选择送达方式", "Choose how the applicant receives the result")
        )
    if delivery_method == "mail" and len((mail_address or "").strip()) < 5:
        problems.append(
            Problem(
                "mail_address", "required", "选择邮寄时请填写邮寄地址", "Enter the mailing address for mail delivery"
            )
        )
    if intake.codes_sent >= MAX_CODES:
        problems.append(
            Problem(
                "code",
                "too_many_codes",
                "验证码发送次数已达上限，请重新开始受理",
                "Too many codes were sent for this application; start the intake again",
            )
        )
    if problems:
        raise BusinessError(*problems, status=422)
    profile = profile_of(intake.applicant)
    service = draft.service
    minutes = int(CODE_TTL.total_seconds() // 60)
    with transaction.atomic():
        intake.delivery_method = delivery_method
        intake.mail_address = (mail_address or "").strip() if delivery_method == "mail" else ""
        code = new_code(intake)
        intake.codes_sent += 1
        intake.save()
        audit.record(clerk, "intake.code_sent", intake, after={"phone": profile.phone_masked})
        sms.send_sms(
            profile.phone,
            f"验证码{code}：窗口工作人员{clerk_name(clerk)}正代您提交“{service.name_zh}”申请，"
            f"{minutes}分钟内有效，请核对后告知工作人员。 Code {code} confirms the application "
            f"“{service.name_en}” filed for you at the window; valid {minutes} minutes.",
            purpose=PURPOSE,
            secret=True,
        )


def confirm(ref, clerk, code: str):
    """The applicant's code is right: submit the case as the applicant, the clerk its agent (代办).
    A second confirmation (a double click, a retry) returns the same case."""
    with transaction.atomic():
        intake = Intake.objects.select_for_update().select_related("applicant").filter(ref=ref).first()
        if intake is None:
            raise not_found("intake")
        if intake.case_number:
            return cases.get_case_for(intake.applicant, intake.case_number)
        problem = code_problem(intake, code)
        if problem is None:
            draft = draft_of(intake)
            result = cases.submit(
                intake.applicant,
                intake.service_code,
                draft.application_data(),
                materials=draft.material_ids(),
                idempotency_key=intake.idempotency_key,
                delivery_method=intake.delivery_method,
                mail_address=intake.mail_address,
                channel="window",
                agent=clerk,
            )
            intake.case_number = result.case.number
            intake.code_hash = ""
            intake.confirmed_at = timezone.now()
            intake.save(update_fields=["case_number", "code_hash", "confirmed_at"])
            audit.record(clerk, "intake.confirmed", intake, after={"case": result.case.number})
            return result.case
        intake.save(update_fields=["code_attempts", "code_hash"])
    raise BusinessError(problem, status=422)


# ---------------------------------------------------------------- claiming the account online

CLAIM_PURPOSE = "account.claim"
CLAIM_RESEND = timedelta(minutes=1)  # at most one claim code a minute per account


def request_claim(id_number: str, phone: str, id_type: str = ID_RESIDENT) -> int | None:
    """Text a claim code when the identity document and phone belong to an account opened at the
    window and never claimed. Returns the profile's id, or None — the caller says the same either
    way, so the page tells nobody whether such an account exists."""
    try:
        number = checked_id(id_number, id_type)
    except BusinessError:
        return None
    phone = (phone or "").strip().replace(" ", "")
    with transaction.atomic():
        profile = (
            Profile.objects.select_for_update()
            .select_related("user")
            .filter(id_digest=document_digest(id_type, number), at_counter=True)
            .first()
        )
        if profile is None or profile.user.has_usable_password() or not constant_time_compare(profile.phone, phone):
            return None
        now = timezone.now()
        if profile.code_expires_at and profile.code_expires_at - CODE_TTL + CLAIM_RESEND > now:
            return profile.pk  # a code was sent a moment ago: that one still works
        code = new_code(profile)
        profile.save(update_fields=["code_hash", "code_expires_at", "code_attempts"])
        minutes = int(CODE_TTL.total_seconds() // 60)
        sms.send_sms(
            profile.phone,
            f"验证码{code}：用于认领您在政务服务窗口开立的账户，{minutes}分钟内有效，请勿告知他人。"
            f" Code {code} claims the account opened for you at the service window; valid {minutes} minutes.",
            purpose=CLAIM_PURPOSE,
            secret=True,
        )
        return profile.pk


def complete_claim(profile_id: int | None, code: str, username: str, password: str):
    """The right code: the account gets the username and password its holder chose."""
    error = None
    with transaction.atomic():
        profile = (
            Profile.objects.select_for_update().select_related("user").filter(pk=profile_id, at_counter=True).first()
            if profile_id
            else None
        )
        if profile is None or profile.user.has_usable_password():
            error = Problem("code", "wrong", "验证码不正确", "The code is not right")
        else:
            error = code_problem(profile, code)
            if error is None:
                user = profile.user
                user.username = username
                user.set_password(password)
                user.save(update_fields=["username", "password"])
                profile.code_hash = ""
                profile.save(update_fields=["code_hash", "code_attempts"])
                audit.record(user, "user.claimed", user, after={"username": username})
                return user
            profile.save(update_fields=["code_hash", "code_attempts"])
    raise BusinessError(error, status=422)
