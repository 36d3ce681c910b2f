"""E-licence store services — 电子证照库服务: issue, verify, revoke, suspend, the integrated view.

Other apps (registry, permits, trade…) call ``issue_credential`` when a case produces a licence;
the public reaches ``verify`` through the QR code on the licence. Every change goes through
``zimao.core.audit.record``.

Trust model: the signed JWS fixes *what* was issued (identifier, kind, holder, subject, validity,
issue time, issuer); the store says *whether it still stands* (revoked / suspended). Verification
reads the holder's version on every request, so a revocation is visible on the very next one, and
compares the signed content with the stored row, so editing a row in the database turns the
licence "not genuine" instead of silently changing what the public sees.

Fast and still live (核验缓存): the answer for a holder (all their credentials with the result of
each signature check) is cached in the process under the holder's version and the signing keys'
version (``HolderVersion``); every issue, revocation, suspension and reinstatement bumps the
holder's version inside its own transaction, every key change bumps the keys' version. A cache
hit costs one query. A row edited behind the services' back (not through them) bumps nothing: it
is caught when the entry is rebuilt — at the next bump, the next day, or after
``VERIFY_CACHE_SECONDS`` at the latest.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from zimao.catalog import zone
from zimao.core import audit, elicence, fastsql, identifiers, sequences, signing, sitebase
from zimao.core.errors import BusinessError, Conflict, Problem, not_found
from zimao.core.protected import mask_id_number, mask_phone
from zimao.licences.models import Credential, HolderVersion

log = logging.getLogger(__name__)

# 证照类型代码 = the defining authority's USCC + a 3-digit sequence (GB/T 36904-2018). Until the
# national catalogue (全国一体化政务服务平台电子证照目录) codes are wired in, the zone defines its own
# types under the code of its own authority (the zone profile's issuer): only the sequence is kept
# here, per kind. Apps add theirs with ``register_kind``.
KIND_TYPE_SEQ: dict[str, str] = {
    "business_licence": "001",  # 营业执照
    "food_business_permit": "002",  # 食品经营许可证
    "construction_permit": "003",  # 建筑工程施工许可证
    "joint_acceptance_certificate": "004",  # 联合验收意见书
    "certificate_of_origin": "005",  # 原产地证书
    "filing_receipt": "006",  # 备案回执
    "commitment_permit": "007",  # 告知承诺许可
}
# Kinds nobody registered still get a valid identifier (a case must not fail at its last step
# because a catalogue entry is new); they share this "other licence" (其他证照) type sequence.
OTHER_TYPE_SEQ = "999"


def register_kind(kind: str, seq: str) -> None:
    """Declare the 3-digit 证照类型代码 sequence for ``kind`` (call from an AppConfig.ready)."""
    if not (len(seq) == 3 and seq.isdigit()):
        raise ValueError(f"type sequence for {kind!r} must be 3 digits, not {seq!r}")
    taken = {v: k for k, v in KIND_TYPE_SEQ.items()}
    if taken.get(seq, kind) != kind:
        raise ValueError(f"type sequence {seq} of {kind!r} is already {taken[seq]!r}'s")
    KIND_TYPE_SEQ[kind] = seq


def type_code_for(kind: str, seq: str | None = None) -> str:
    """The 证照类型代码 of ``kind`` under the zone's own authority (or of an explicit ``seq``)."""
    seq = seq or KIND_TYPE_SEQ.get(kind)
    if seq is None:
        log.warning("licence kind %r has no registered type code; using %s", kind, OTHER_TYPE_SEQ)
        seq = OTHER_TYPE_SEQ
    return zone.current().issuer.uscc + seq


# --- status words ---------------------------------------------------------------------------

# (zh, en, css tag) — plain status words shown on the licence, the verify page and the API.
STATUS_LABELS = {
    "valid": ("真实有效", "Genuine and current", "ok"),
    "expired": ("已过期", "Expired", "warn"),
    "not_yet_valid": ("尚未生效", "Not yet valid", "warn"),
    "revoked": ("已吊销", "Revoked", "bad"),
    "suspended": ("已暂扣", "Suspended", "bad"),
    "not_genuine": ("无法核验", "Not genuine", "bad"),
    # An uploaded step document (办理结果文书): signed by its issuer, unchanged; no status of its own.
    "document_genuine": ("文书真实", "Genuine document", "ok"),
    # A lookup by the holder's unified social credit code (not one licence):
    "holder_found": ("已查到本平台签发的证照", "Licences issued here found", "ok"),
    "not_issued": ("本平台未签发", "None issued here", "neutral"),
    "invalid_code": ("代码有误", "Not a valid code", "warn"),
}


def status_label(status: str) -> dict:
    zh, en, tag = STATUS_LABELS.get(status, STATUS_LABELS["not_genuine"])
    return {"status": status, "label_zh": zh, "label_en": en, "tag": tag}


# --- masking ---------------------------------------------------------------------------------

# Subject keys that are bookkeeping, not licence content: never shown outside the holder's page.
INTERNAL_KEYS = {"applicant_user_id"}
_ID_HINTS = ("id_number", "identity", "id_card", "passport", "身份证", "证件号")
_PHONE_HINTS = ("phone", "mobile", "telephone", "tel", "电话", "手机")
_PERSON_HINTS = (
    "representative",
    "person",
    "operator",
    "contact",
    "principal",
    "法定代表人",
    "负责人",
    "经营者",
    "联系人",
)
_HOME_HINTS = ("home_address", "residence", "住址")
_EMAIL_HINTS = ("email", "邮箱")

FIELD_LABELS = {
    "name": ("名称", "Name"),
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "type": ("类型", "Type"),
    "entity_type": ("类型", "Type"),
    "legal_representative": ("法定代表人", "Legal representative"),
    "registered_capital": ("注册资本", "Registered capital"),
    "registered_capital_wan": ("注册资本（万元）", "Registered capital (10,000 yuan)"),
    "established_on": ("成立日期", "Date of establishment"),
    "business_scope": ("经营范围", "Business scope"),
    "address": ("住所", "Address"),
    "business_term": ("营业期限", "Business term"),
    "registration_authority": ("登记机关", "Registration authority"),
    "permit_scope": ("许可范围", "Scope of permit"),
    "project_name": ("项目名称", "Project"),
    "reform_mode": ("改革方式", "Reform mode"),
}


def _mask_name(value: str) -> str:
    value = value.strip()
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def _mask_value(key: str, value):
    lower = key.lower()
    if isinstance(value, dict):
        return mask_subject(value)
    if not isinstance(value, str):
        return value
    if any(h in lower for h in _ID_HINTS):
        return mask_id_number(value)
    if any(h in lower for h in _PHONE_HINTS):
        return mask_phone(value)
    if any(h in lower for h in _EMAIL_HINTS):
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    if any(h in lower for h in _HOME_HINTS):
        return value[:6] + "****" if len(value) > 6 else "****"
    if any(h in lower for h in _PERSON_HINTS):
        return _mask_name(value)
    return value


def mask_subject(subject: dict) -> dict:
    """The subject as the public may see it — 脱敏: personal values masked, bookkeeping removed."""
    return {
        k: _mask_value(k, v)
        for k, v in (subject or {}).items()
        if k not in INTERNAL_KEYS and not str(k).startswith("_")
    }


def subject_fields(subject: dict, *, masked: bool, holder: Credential | None = None) -> list[dict]:
    """Printable rows ``{key, label_zh, label_en, value}``: known fields first, in licence order.

    With ``holder``, the subject's name and USCC are left out when they only repeat the holder's.
    """
    data = (
        mask_subject(subject)
        if masked
        else {k: v for k, v in (subject or {}).items() if k not in INTERNAL_KEYS and not str(k).startswith("_")}
    )
    if holder is not None:
        for key, same in (("name", holder.holder_name), ("uscc", holder.holder_uscc)):
            if data.get(key) == same:
                data.pop(key)
    # A document may name its own fields and their order (``_labels``: [key, zh, en] rows, e.g. a
    # permit kind's catalogue entry); PostgreSQL's jsonb does not keep key order, so print the
    # known fields in licence order, the document's own after them in its order.
    own = {row[0]: (row[1], row[2]) for row in (subject or {}).get("_labels") or [] if len(row) == 3}
    order = list(FIELD_LABELS) + [k for k in own if k not in FIELD_LABELS]
    keys = sorted(data, key=lambda k: (order.index(k) if k in order else len(order), str(k)))
    rows = []
    for key in keys:
        value = data[key]
        zh, en = own.get(key) or FIELD_LABELS.get(key, (key, key.replace("_", " ").capitalize()))
        rows.append({"key": key, "label_zh": zh, "label_en": en, "value": value})
    return rows


# --- payload ---------------------------------------------------------------------------------


def _iso_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def credential_payload(cred: Credential) -> dict:
    """What is signed for ``cred`` — 签名内容 (rebuilt from the row, to compare at verification)."""
    return {
        "identifier": cred.identifier,
        "kind": cred.kind,
        "title": {"zh": cred.title_zh, "en": cred.title_en},
        "holder": {"uscc": cred.holder_uscc, "name": cred.holder_name},
        "subject": cred.subject,
        "validity": {
            "from": cred.valid_from.isoformat(),
            "until": cred.valid_until.isoformat() if cred.valid_until else None,
        },
        "issued_at": _iso_utc(cred.issued_at),
        "issuer": {"name": cred.issuer_name, "uscc": elicence.parse_identifier(cred.identifier).issuer_uscc},
    }


def verify_url(identifier: str) -> str:
    """The absolute public verification address printed as the licence's QR code: the zone's
    configured public address, else the address the current request came to."""
    return sitebase.absolute(reverse("licences:verify", args=[identifier]), zone.site_url())


# --- issuing ---------------------------------------------------------------------------------


def _as_date(value, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BusinessError.of(
            name, "invalid_date", "日期格式应为 YYYY-MM-DD。", "Dates are written YYYY-MM-DD."
        ) from None


def _issue_problems(kind, title_zh, title_en, holder_uscc, holder_name, subject, valid_from, valid_until):
    problems = []
    if not kind:
        problems.append(Problem("kind", "required", "请指定证照种类。", "The licence kind is required."))
    if not (title_zh or "").strip() or not (title_en or "").strip():
        problems.append(
            Problem(
                "title", "required", "证照名称（中英文）必填。", "The licence title is required in Chinese and English."
            )
        )
    if not elicence.uscc_check_ok(holder_uscc or ""):
        problems.append(
            Problem(
                "holder_uscc",
                "invalid_uscc",
                "持证主体统一社会信用代码不正确。",
                "The holder's unified social credit code is not valid.",
            )
        )
    if not (holder_name or "").strip():
        problems.append(Problem("holder_name", "required", "持证主体名称必填。", "The holder's name is required."))
    if not isinstance(subject, dict):
        problems.append(
            Problem(
                "subject",
                "dict_type",
                "证照信息项应为键值对象。",
                "The licence fields must be an object of name → value.",
            )
        )
    if valid_until is not None and valid_until < valid_from:
        problems.append(
            Problem(
                "valid_until", "before_start", "有效期截止日期早于起始日期。", "The validity ends before it starts."
            )
        )
    return problems


def _next_serial(today: dt.date) -> str:
    # Year + 7-digit counter per year, as in identifiers seen in use (e.g. 20230000403); the
    # counter is shared by all kinds, so a serial is unique for this issuer whatever the type.
    return f"{today.year}{sequences.next_value(f'licences.serial.{today.year}'):07d}"


def bump_holder_version(holder_uscc: str) -> None:
    """Make every cached verification answer for this holder stale — 核验版本递增.

    Call inside the transaction that changes one of the holder's credentials: the new version
    becomes visible exactly when the change does.
    """
    stamp = secrets.token_hex(8)
    table = connection.ops.quote_name(HolderVersion._meta.db_table)
    with connection.cursor() as cur:  # one upsert: no read, no savepoint, no lost race
        cur.execute(
            f"INSERT INTO {table} (holder_uscc, version, stamp) VALUES (%s, 1, %s) "  # noqa: S608 — the model's table
            f"ON CONFLICT (holder_uscc) DO UPDATE SET version = {table}.version + 1, stamp = excluded.stamp",
            [holder_uscc, stamp],
        )


def _keys_changed(sender, **kwargs) -> None:
    bump_holder_version(HolderVersion.KEYS_ROW)


signing.keys_changed.connect(_keys_changed, dispatch_uid="licences.keys_changed")


def issue_credential(
    *,
    kind: str,
    title_zh: str,
    title_en: str,
    holder_uscc: str,
    holder_name: str,
    subject: dict,
    valid_from=None,
    valid_until=None,
    case_number: str | None = None,
    actor=None,
    type_code: str | None = None,
    issuer: zone.Authority | None = None,
    issuer_name: str | None = None,
    new_case: bool = False,
) -> Credential:
    """Issue and sign a credential — 签发电子证照 — in the name of ``issuer`` (the authority that
    decided it, from the zone profile; default the zone's own authority): its name is printed as
    发证机关 and its code is the issuer part of the identifier. ``issuer_name`` (kept for callers
    written before the zone profile) only overrides the printed name.

    Idempotent per (case_number, kind): issuing again for the same case returns the credential
    already issued (a retried task or a double click never produces two licences).
    ``new_case``: the case was created in this very transaction, so nothing was issued for it yet
    (the look-up is skipped; the engine's run right after submission says so).
    """
    holder_uscc = (holder_uscc or "").strip().upper()
    today = timezone.localdate()
    valid_from = _as_date(valid_from, "valid_from") or today
    valid_until = _as_date(valid_until, "valid_until")
    problems = _issue_problems(kind, title_zh, title_en, holder_uscc, holder_name, subject, valid_from, valid_until)
    if problems:
        raise BusinessError(*problems)
    case_number = case_number or None
    if case_number and not new_case:
        existing = Credential.objects.filter(case_number=case_number, kind=kind).first()
        if existing is not None:
            return existing

    code = type_code or type_code_for(kind)
    issuer = issuer or zone.current().issuer
    try:
        identifier = elicence.make_identifier(code, issuer.uscc, _next_serial(today))
    except ValueError:
        raise BusinessError.of(
            "type_code", "invalid_type_code", "证照类型代码不正确。", "The licence type code is not valid."
        ) from None
    cred = Credential(
        identifier=identifier,
        kind=kind,
        title_zh=title_zh.strip(),
        title_en=title_en.strip(),
        holder_uscc=holder_uscc,
        holder_name=holder_name.strip(),
        # Stored exactly as signed: dates/decimals become JSON strings once, here.
        subject=audit.jsonable(subject) or {},
        issuer_name=(issuer_name or issuer.name_zh).strip(),
        # Whole seconds: what is signed must equal what every database gives back.
        issued_at=timezone.now().replace(microsecond=0),
        valid_from=valid_from,
        valid_until=valid_until,
        status=Credential.Status.VALID,
        case_number=case_number,
    )
    cred.jws, cred.kid = signing.sign_content(credential_payload(cred))
    with transaction.atomic(savepoint=False):  # all or nothing with the caller's transaction
        try:
            if new_case:  # no other request can be issuing for a case this transaction created
                fastsql.create([cred])  # one INSERT without the ORM's compiler (issue 11)
            else:
                with transaction.atomic():  # savepoint: a lost race leaves the outer transaction usable
                    cred.save()
        except IntegrityError:
            if case_number:
                existing = Credential.objects.filter(case_number=case_number, kind=kind).first()
                if existing is not None:
                    return existing
            raise
        bump_holder_version(holder_uscc)
        audit.record(
            actor,
            "credential.issue",
            cred,
            after={
                "identifier": cred.identifier,
                "kind": kind,
                "holder_uscc": holder_uscc,
                "case_number": case_number,
                "kid": cred.kid,
                "valid_from": valid_from,
                "valid_until": valid_until,
            },
        )
    return cred


# --- reading ---------------------------------------------------------------------------------


def get_credential(identifier: str) -> Credential:
    """The credential with this identifier; raises ``NotFound`` (404) — 查询电子证照."""
    cred = Credential.objects.filter(identifier=(identifier or "").strip()).first()
    if cred is None:
        raise not_found("identifier")
    return cred


def _kind_order(cred: Credential):
    # 多证集成: the business licence leads, the permits it carries follow, newest first.
    return (cred.kind != "business_licence", -cred.issued_at.timestamp())


def credentials_for(uscc: str) -> list[Credential]:
    """Every credential the holder holds, whatever its status — 持证主体的全部证照."""
    creds = list(Credential.objects.filter(holder_uscc=(uscc or "").strip().upper()))
    return sorted(creds, key=_kind_order)


def credentials_of_case(case_number: str, kind: str | None = None) -> list[Credential]:
    """What the store issued for a case (its result and any follow-up output), oldest first."""
    qs = Credential.objects.filter(case_number=case_number)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("issued_at", "id"))


def credentials_of_user(user) -> list[Credential]:
    """Credentials of the companies this user applied for (for now: subject.applicant_user_id)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(Credential.objects.filter(subject__applicant_user_id=user.id), key=_kind_order)


def can_view(user, credential: Credential) -> bool:
    """May ``user`` open the holder's licence page — 查看权限 (staff, or the applicant)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return (credential.subject or {}).get("applicant_user_id") == user.id


def signature_problem(cred: Credential, keys: dict | None = None) -> str | None:
    """None if ``cred``'s JWS is genuine and matches the stored row, else a reason code.

    ``keys`` (``signing.verification_keys()``) when checking many credentials: one key query."""
    try:
        expected = credential_payload(cred)
    except ValueError:
        return "bad_identifier"
    return signing.content_problem(cred.jws, expected, keys)


def credential_summary(
    cred: Credential, *, masked: bool = False, today: dt.date | None = None, genuine: bool | None = None
) -> dict:
    """A JSON-ready description — 证照摘要. ``masked`` for the public (no case number, personal
    values masked); ``genuine`` overrides the status with "not_genuine" when False."""
    status = cred.effective_status(today) if genuine is not False else "not_genuine"
    data = {
        "identifier": cred.identifier,
        "kind": cred.kind,
        "title_zh": cred.title_zh,
        "title_en": cred.title_en,
        "holder_uscc": cred.holder_uscc,
        "holder_name": cred.holder_name,
        "issuer_name": cred.issuer_name,
        "issued_at": cred.issued_at,
        "valid_from": cred.valid_from,
        "valid_until": cred.valid_until,
        **status_label(status),
        "status_reason": cred.status_reason if cred.status != Credential.Status.VALID else "",
        "subject": mask_subject(cred.subject) if masked else cred.subject,
        "verify_url": verify_url(cred.identifier),
    }
    if not masked:
        data.update({"case_number": cred.case_number, "kid": cred.kid, "jws": cred.jws, "revoked_at": cred.revoked_at})
    return data


# --- verification ----------------------------------------------------------------------------

NOT_GENUINE_REASONS = {
    "invalid_identifier": (
        "标识格式或校验位不正确，可能被抄错或篡改。",
        "The identifier is malformed or its check character is wrong: mistyped or altered.",
    ),
    "unknown": ("电子证照库中没有这个标识。", "No licence with this identifier is in the e-licence store."),
    "signature": (
        "证照签名无法验证，内容可能被篡改。",
        "The licence's signature does not verify: its content may have been altered.",
    ),
}


@dataclass
class VerificationResult:
    """The answer to "is this licence genuine and current?" — 核验结果."""

    identifier: str
    format_ok: bool
    problems: list[Problem] = field(default_factory=list)
    credential: Credential | None = None
    signature_ok: bool = False
    signature_reason: str | None = None
    status: str = "not_genuine"
    holder_credentials: list[tuple[Credential, str]] = field(default_factory=list)
    today: dt.date | None = None
    answer: _HolderAnswer | None = field(default=None, repr=False, compare=False)

    @property
    def found(self) -> bool:
        return self.credential is not None

    @property
    def genuine(self) -> bool:
        """真实: well-formed, in the store, and signed by a key that still verifies."""
        return self.format_ok and self.found and self.signature_ok

    @property
    def current(self) -> bool:
        """有效: genuine and neither revoked, suspended, expired nor not yet valid."""
        return self.genuine and self.status == "valid"

    @property
    def reason(self) -> str | None:
        if not self.format_ok:
            return "invalid_identifier"
        if not self.found:
            return "unknown"
        if not self.signature_ok:
            return "signature"
        return None

    @property
    def reason_zh(self) -> str:
        return NOT_GENUINE_REASONS.get(self.reason, ("", ""))[0]

    @property
    def reason_en(self) -> str:
        return NOT_GENUINE_REASONS.get(self.reason, ("", ""))[1]

    @property
    def label(self) -> dict:
        return status_label(self.status)

    @property
    def other_credentials(self) -> list[tuple[Credential, str]]:
        return [(c, s) for c, s in self.holder_credentials if self.credential is None or c.pk != self.credential.pk]


@dataclass(frozen=True)
class _HolderAnswer:
    """Every credential of one holder with its signature check, valid for one version and day."""

    version: tuple
    today: dt.date
    built: float
    rows: tuple[tuple[Credential, str | None], ...]  # (credential, signature problem or None)
    # What was made from this answer (the API's JSON, the page's body), by identifier and form:
    # valid exactly as long as the answer is, so it goes when the answer goes.
    renders: dict = field(default_factory=dict, compare=False, repr=False)


def cached_rendering(result: VerificationResult, form: tuple, build):
    """``build()`` for ``result`` in ``form`` (e.g. ("api", host)), kept with the holder's cached
    answer so the same answer is not serialised again; built afresh when nothing is cached."""
    if result.answer is None:
        return build()
    key = (result.identifier, *form)
    value = result.answer.renders.get(key)
    if value is None:
        value = build()
        if len(result.answer.renders) < 256:  # a bound, whatever the callers pass as form
            result.answer.renders[key] = value
    return value


# Cached verification answers, per holder: holder USCC → _HolderAnswer. Process-local on purpose:
# every node checks the version in the database on every request, so nodes never need to talk.
VERIFY_CACHE_SECONDS = 300
_VERIFY_CACHE_MAX = 4096
_answers: OrderedDict[str, _HolderAnswer] = OrderedDict()
_answers_lock = threading.Lock()


def clear_verification_cache() -> None:
    """Forget every cached answer (tests, and after a restore)."""
    with _answers_lock:
        _answers.clear()


def _holder_and_versions(identifier: str) -> tuple[str, str | None, str | None] | None:
    """(holder USCC, holder's stamp, keys' stamp) of the credential ``identifier``, in one query.

    Plain SQL: this runs on every verification, and building the same ORM query with two
    subqueries cost more than running it."""
    q = connection.ops.quote_name
    cred, version = q(Credential._meta.db_table), q(HolderVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.{q('holder_uscc')},"  # noqa: S608 — names from the models; values are parameters
            f" (SELECT v.{q('stamp')} FROM {version} v WHERE v.{q('holder_uscc')} = c.{q('holder_uscc')}),"
            f" (SELECT k.{q('stamp')} FROM {version} k WHERE k.{q('holder_uscc')} = %s)"
            f" FROM {cred} c WHERE c.{q('identifier')} = %s",
            [HolderVersion.KEYS_ROW, identifier],
        )
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def _holder_answer(holder_uscc: str, version: tuple, today: dt.date) -> _HolderAnswer:
    with _answers_lock:
        cached = _answers.get(holder_uscc)
        if (
            cached is not None
            and cached.version == version
            and cached.today == today
            and time.monotonic() - cached.built < VERIFY_CACHE_SECONDS
        ):
            _answers.move_to_end(holder_uscc)
            return cached
    keys = signing.verification_keys()
    rows = tuple((c, signature_problem(c, keys)) for c in credentials_for(holder_uscc))
    answer = _HolderAnswer(version=version, today=today, built=time.monotonic(), rows=rows)
    with _answers_lock:
        _answers[holder_uscc] = answer
        _answers.move_to_end(holder_uscc)
        while len(_answers) > _VERIFY_CACHE_MAX:
            _answers.popitem(last=False)
    return answer


def verify(identifier: str, *, today: dt.date | None = None) -> VerificationResult:
    """Verify an identifier — 电子证照核验: format and check character, presence in the store,
    signature and content, then current status; with every credential of the same holder
    (多证集成、一照通行), each with its own status.

    One query when the holder's answer is cached and its version unchanged; three otherwise
    (the holder's credentials, and every signing key at once), whatever the number of credentials.
    """
    identifier = (identifier or "").strip()
    today = today or timezone.localdate()
    ok, problems = elicence.validate_identifier(identifier)
    result = VerificationResult(identifier=identifier, format_ok=ok, problems=problems, today=today)
    if not ok:
        return result
    found = _holder_and_versions(identifier)
    if found is None:
        return result
    holder_uscc, holder_stamp, keys_stamp = found
    answer = _holder_answer(holder_uscc, (holder_stamp, keys_stamp), today)
    this = next(((c, p) for c, p in answer.rows if c.identifier == identifier), None)
    if this is None:
        # The row's holder was changed behind the store's back since the answer was built.
        clear_verification_cache()
        answer = _holder_answer(holder_uscc, (holder_stamp, keys_stamp), today)
        this = next(((c, p) for c, p in answer.rows if c.identifier == identifier), None)
        if this is None:
            return result
    cred, problem = this
    result.answer = answer
    result.credential = cred
    result.signature_reason = problem
    result.signature_ok = problem is None
    if not result.signature_ok:
        # A tampered row says nothing trustworthy about its holder: show no integrated view.
        return result
    result.status = cred.effective_status(today)
    result.holder_credentials = [
        (c, c.effective_status(today) if (c.pk == cred.pk or p is None) else "not_genuine") for c, p in answer.rows
    ]
    return result


# --- lookup by the holder's USCC ---------------------------------------------------------------

# Problems of a typed USCC that make it no code at all (a division missing from the table or an
# organisation-code slip does not stop a lookup: the store answers for what it issued).
_USCC_FORMAT_PROBLEMS = {"required", "length", "illegal_character", "check_character"}


def normalise_uscc(value: str) -> str:
    """A typed USCC as printed: full-width characters folded, spaces dropped, upper case."""
    return identifiers.normalise(value).replace(" ", "").replace("\u3000", "")


def looks_like_uscc(value: str) -> bool:
    """True when ``value`` is meant as a unified social credit code rather than a licence
    identifier: no dots, and 18 characters once full-width characters and spaces are folded."""
    text = normalise_uscc(value)
    return "." not in text and len(text) == 18


@dataclass
class HolderLookup:
    """The answer to "which licences did this store issue to the company with this USCC?" —
    按统一社会信用代码查询. Not finding any says nothing about whether the company is genuine."""

    uscc: str
    problems: list[Problem] = field(default_factory=list)
    credentials: list[tuple[Credential, str]] = field(default_factory=list)
    holder_name: str = ""

    @property
    def format_ok(self) -> bool:
        return not self.problems

    @property
    def found(self) -> bool:
        return bool(self.credentials)

    @property
    def status(self) -> str:
        if not self.format_ok:
            return "invalid_code"
        return "holder_found" if self.found else "not_issued"

    @property
    def label(self) -> dict:
        return status_label(self.status)

    @property
    def genuine(self) -> bool:
        return any(s != "not_genuine" for _, s in self.credentials)

    @property
    def current(self) -> bool:
        return any(s == "valid" for _, s in self.credentials)


def lookup_holder(uscc: str, *, today: dt.date | None = None) -> HolderLookup:
    """Every credential issued here to the holder ``uscc``, each with its own status (a tampered
    one is "not_genuine") — 多证集成 by USCC. The check character is checked first (GB 32100); a
    wrong one is reported without saying which would be right."""
    value = normalise_uscc(uscc)
    today = today or timezone.localdate()
    lookup = HolderLookup(uscc=value)
    for p in identifiers.validate_uscc(value).problems:
        if p.code not in _USCC_FORMAT_PROBLEMS:
            continue
        if p.code == "check_character":
            p = Problem(
                p.field,
                p.code,
                "第18位校验码不符：代码可能抄错了，请对照营业执照核对。",
                "The check character (position 18) does not match: the code was probably mistyped; "
                "compare it with the business licence.",
            )
        lookup.problems.append(p)
    if lookup.problems:
        return lookup
    stamps = dict(
        HolderVersion.objects.filter(holder_uscc__in=[value, HolderVersion.KEYS_ROW]).values_list(
            "holder_uscc", "stamp"
        )
    )
    if value in stamps:
        rows = _holder_answer(value, (stamps[value], stamps.get(HolderVersion.KEYS_ROW)), today).rows
    else:  # never issued to (or issued before versions were kept): nothing worth caching
        keys = signing.verification_keys()
        rows = tuple((c, signature_problem(c, keys)) for c in credentials_for(value))
    lookup.credentials = [(c, c.effective_status(today) if p is None else "not_genuine") for c, p in rows]
    lookup.holder_name = next((c.holder_name for c, s in lookup.credentials if s != "not_genuine"), "")
    return lookup


# --- changing status -------------------------------------------------------------------------


def _locked(identifier: str) -> Credential:
    cred = Credential.objects.select_for_update().filter(identifier=(identifier or "").strip()).first()
    if cred is None:
        raise not_found("identifier")
    return cred


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "请填写原因。", "Give the reason.")
    return reason


def _set_status(identifier: str, new: str, reason: str, actor, action: str, allowed_from: set[str]) -> Credential:
    reason = _require_reason(reason)
    with transaction.atomic():
        cred = _locked(identifier)
        if cred.status not in allowed_from:
            zh, en, _tag = STATUS_LABELS.get(cred.status, ("", cred.status, ""))
            raise Conflict(
                Problem(
                    "status",
                    "invalid_transition",
                    f"该证照当前状态为“{zh}”，不能执行此操作。",
                    f"The licence is {en.lower()}; this cannot be done now.",
                )
            )
        before = {"status": cred.status, "status_reason": cred.status_reason}
        cred.status = new
        cred.status_reason = reason
        fields = ["status", "status_reason"]
        if new == Credential.Status.REVOKED:
            cred.revoked_at = timezone.now()
            fields.append("revoked_at")
        cred.save(update_fields=fields)
        bump_holder_version(cred.holder_uscc)
        audit.record(actor, action, cred, before=before, after={"status": new, "status_reason": reason})
    return cred


def revoke(identifier: str, reason: str, actor) -> Credential:
    """Revoke for good — 吊销 (from valid or suspended); visible on verification at once."""
    return _set_status(
        identifier,
        Credential.Status.REVOKED,
        reason,
        actor,
        "credential.revoke",
        {Credential.Status.VALID, Credential.Status.SUSPENDED},
    )


def suspend(identifier: str, reason: str, actor) -> Credential:
    """Suspend for a time — 暂扣 (from valid); ``reinstate`` lifts it."""
    return _set_status(
        identifier, Credential.Status.SUSPENDED, reason, actor, "credential.suspend", {Credential.Status.VALID}
    )


def reinstate(identifier: str, reason: str, actor) -> Credential:
    """Lift a suspension — 恢复 (from suspended only; a revocation is final)."""
    return _set_status(
        identifier, Credential.Status.VALID, reason, actor, "credential.reinstate", {Credential.Status.SUSPENDED}
    )
