"""Cases and tasks over REST: apply, follow, decide, deliver, rate.

Every operation declares its error responses (``ErrorOut``, bilingual, naming the field).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Header, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from zimao.cases import services
from zimao.cases.models import Case, Task
from zimao.cases.workflow import STATUS_WORDS
from zimao.core import audit
from zimao.core.dates import ApiDate
from zimao.core.errors import COMMON_ERRORS, ErrorOut

prefix = "/"
router = Router(tags=["cases"])

ERRORS = {**COMMON_ERRORS, 409: ErrorOut}
CaseNumber = Annotated[str, Path(description="case number 办件编号, as returned by submitCase")]
TaskId = Annotated[int, Path(description="task id 任务编号, as listed by listTasks")]
IDEMPOTENCY_KEY = (
    "any unique string (≤ 64 characters) per intended submission 幂等键: repeating the request with the "
    "same key returns the first result (200) instead of doing it twice"
)


class MaterialOut(Schema):
    id: int
    key: str
    original_name: str
    content_type: str
    size: int
    sha256: str


class TaskOut(Schema):
    id: int
    key: str
    kind: str
    case: str
    service: str
    department: str
    name_zh: str
    name_en: str
    status: str
    due_date: date
    escalated: bool
    reason: str
    auto_notes: list


class OutputOut(Schema):
    output: str
    identifier: str | None = None
    kind: str | None = None
    title_zh: str | None = None
    title_en: str | None = None


class CaseOut(Schema):
    number: str
    service: str
    service_name_zh: str
    service_name_en: str
    process_version: int
    status: str
    status_zh: str
    status_en: str
    submitted_at: datetime
    due_date: date
    legal_due_date: date
    due_date_provisional: bool
    legal_due_date_provisional: bool
    paused_days: int
    extension_days: int
    delivery_method: str
    tracking_number: str
    results: dict
    outputs: list[OutputOut]
    tasks: list[TaskOut]
    rating: int | None = None


class CaseApplicationIn(Schema):
    """An application for one service item — 办件申请. The form's sections and fields are the
    service's own (``GET /api/v1/catalog/services/{code}`` → ``form``); materials are uploaded
    first (``POST /api/v1/materials``) and referred to by id."""

    service: str = Field(min_length=1, max_length=40, description="service item code 事项编码", examples=["QYKB-001"])
    data: dict = Field(
        description="the form, {section: {field: value}}, as the service's form defines 申请表",
        examples=[{"name": {"division": "410305", "trade_name": "智远", "industry": "科技", "org_form": "有限公司"}}],
    )
    materials: dict[str, int] = Field(
        default_factory=dict,
        description="material key → uploaded material id 申请材料",
        examples=[{"articles": 1, "id_copy": 2, "premises": 3}],
    )
    delivery_method: Literal["electronic", "window", "mail"] = Field(
        "electronic",
        description="how the result reaches you 送达方式: electronic 电子, window 窗口领取, mail 邮寄",
        examples=["electronic"],
    )
    mail_address: str = Field(
        default="",
        max_length=300,
        description="postal address when delivery_method is mail 邮寄地址",
        examples=["郑州市金水区花园路1号"],
    )


class DecisionIn(Schema):
    """An officer's decision on a task — 审核决定."""

    outcome: Literal["approve", "refuse", "correct"] = Field(
        description="approve 通过, refuse 不予许可 (reason required), correct 补正 (reason says what to correct)",
        examples=["approve"],
    )
    reason: str = Field(
        default="",
        max_length=2000,
        description="the reason, shown to the applicant 理由",
        examples=["章程第五条出资期限不明确，请补正"],
    )
    fields: dict = Field(
        default_factory=dict,
        examples=[{"cny_rate": "7.1"}],
        description="the task's decision-time fields (审批时填写的信息), e.g. an exchange rate",
    )


class CorrectionIn(Schema):
    """The applicant's answer to a correction request — 补正材料."""

    answer: str = Field(
        default="", max_length=2000, description="what was corrected 补正说明", examples=["已修改章程第五条"]
    )
    data: dict = Field(
        default_factory=dict,
        description="form sections to replace, {section: {field: value}}",
        examples=[{"registration": {"articles": "standard"}}],
    )
    materials: dict[str, int] = Field(
        default_factory=dict, description="material key → newly uploaded material id", examples=[{"articles": 4}]
    )


class RatingIn(Schema):
    """A rating of the service — 好差评."""

    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意", examples=[5])
    comment: str = Field(
        default="", max_length=1000, description="what went well or badly 评价内容", examples=["一次办好，很方便"]
    )
    named: bool = Field(True, description="false: rate anonymously 匿名评价", examples=[True])
    reasons: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="reason keys of the level, from listRatingReasons 评价原因",
        examples=[["efficient"]],
    )


class FollowUpIn(Schema):
    """The applicant's answer when asked again after a poor rating was rectified — 回访."""

    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意", examples=[4])


class DeliveryIn(Schema):
    """How a result was handed out — 出件."""

    method: Literal["window", "mail"] = Field(description="window 窗口领取 or mail 邮寄", examples=["mail"])
    tracking_number: str = Field(
        default="",
        max_length=40,
        description="the postal tracking number when mailed 运单号",
        examples=["SF1234567890"],
    )


class ExtensionIn(Schema):
    """Extending a case's time limit, with the reason the law requires — 延期."""

    days: int = Field(ge=1, le=30, description="working days to add 延长工作日", examples=[10])
    reason: str = Field(min_length=1, max_length=1000, description="why 延期理由", examples=["需现场核查"])


class WithdrawIn(Schema):
    """Withdrawing one's own application — 撤回申请."""

    reason: str = Field(default="", max_length=1000, description="why (optional) 撤回原因", examples=["信息填写有误"])


class RectifyIn(Schema):
    """The department's answer to a poor rating — 差评整改."""

    answer: str = Field(
        min_length=1, max_length=2000, description="what was done 整改情况", examples=["已电话回访并当场补办"]
    )


class EventOut(Schema):
    seq: int
    at: datetime
    actor: str
    actor_name: str = Field(
        "", description="the display name of the person who acted (承办人/申请人); empty when the system acted"
    )
    action: str
    object_type: str
    after: dict | None = None
    hash: str = Field(
        "",
        description="the event's audit-chain hash: ask /.well-known/zimao/audit/inclusion?hash= "
        "for its proof in a signed checkpoint (docs/audit.md)",
    )


def task_out(task: Task) -> dict:
    return {
        "id": task.pk,
        "key": task.key,
        "kind": task.kind,
        "case": task.case.number,
        "service": task.case.service.code,
        "department": task.department.code,
        "name_zh": task.name_zh,
        "name_en": task.name_en,
        "status": task.status,
        "due_date": task.due_date,
        "escalated": task.escalated,
        "reason": task.reason,
        "auto_notes": task.auto_notes,
    }


def case_out(case: Case, *, new: bool = False) -> dict:
    """``new``: the case was created by this request, so nobody can have rated it yet."""
    zh, en = STATUS_WORDS[case.status]
    services.with_progress(case)
    # reverse one-to-one: absent → None (one query unless fetched)
    rating = None if new else getattr(case, "rating", None)
    return {
        "number": case.number,
        "service": case.service.code,
        "service_name_zh": case.service.name_zh,
        "service_name_en": case.service.name_en,
        "process_version": case.process.version,
        "status": case.status,
        "status_zh": zh,
        "status_en": en,
        "submitted_at": case.submitted_at,
        "due_date": case.due_date,
        "legal_due_date": case.legal_due_date,
        "due_date_provisional": case.due_date_provisional,
        "legal_due_date_provisional": case.legal_due_date_provisional,
        "paused_days": case.paused_days,
        "extension_days": case.extension_days,
        "delivery_method": case.delivery_method,
        "tracking_number": case.tracking_number,
        "results": case.results,
        "outputs": case.outputs,
        "tasks": [task_out(t) for t in case.tasks.all()],
        "rating": rating.level if rating else None,
    }


@router.post(
    "materials",
    response={201: MaterialOut, 413: ErrorOut, **ERRORS},
    summary="Upload a material 上传材料",
    operation_id="uploadMaterial",
)
def upload_material(
    request: HttpRequest,
    key: Annotated[
        str, Form(description="the material's key in the service's list 材料编码", examples=["articles"])
    ] = "",
    file: Annotated[UploadedFile, File(description="PDF, JPEG or PNG 文件")] = None,
):
    if file is None:
        from zimao.core.errors import BusinessError

        raise BusinessError.of("file", "required", "请选择要上传的文件", "Choose a file to upload", status=422)
    content = file.read(settings.UPLOAD_MAX_BYTES + 1)  # one byte over the limit is enough to refuse
    material = services.upload_material(request.user, key[:40], file.name, content)
    return Status(201, material)


@router.post(
    "cases", response={200: CaseOut, 201: CaseOut, **ERRORS}, summary="Apply 提交申请", operation_id="submitCase"
)
def submit(
    request: HttpRequest,
    payload: CaseApplicationIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", description=IDEMPOTENCY_KEY),
):
    """Submit an application. Send an ``Idempotency-Key`` header: repeating the request with the
    same key returns the same case (200) instead of creating a second one (201)."""
    result = services.submit(
        request.user,
        payload.service,
        payload.data,
        materials=payload.materials,
        idempotency_key=idempotency_key,
        delivery_method=payload.delivery_method,
        mail_address=payload.mail_address,
        channel="api",
    )
    if not result.created:  # the case an earlier request with this key made, as it is now
        return Status(200, case_out(services.get_case_for(request.user, result.case.number)))
    return Status(201, case_out(result.case, new=True))  # the engine's own instance: not read back


@router.get(
    "cases", response={200: list[CaseOut], **ERRORS}, summary="My applications 我的办件", operation_id="listMyCases"
)
def my_cases(
    request: HttpRequest, limit: Annotated[int, Query(description="at most this many, newest first (1–200)")] = 50
):
    return [case_out(c) for c in services.cases_with_progress(request.user)[: max(1, min(limit, 200))]]


@router.get("cases/{number}", response={200: CaseOut, **ERRORS}, summary="Case status 办件进度", operation_id="getCase")
def case_detail(request: HttpRequest, number: CaseNumber):
    return case_out(services.get_case_for(request.user, number))


@router.get(
    "cases/{number}/history",
    response={200: list[EventOut], **ERRORS},
    summary="Case history 办理记录",
    operation_id="getCaseHistory",
)
def case_history(request: HttpRequest, number: CaseNumber):
    case = services.get_case_for(request.user, number)
    events = audit.history("cases.case", case.pk)
    names = services.display_names({e.actor for e in events})  # the officer is named, as on the page
    for event in events:
        event.actor_name = names.get(event.actor, "")
    return events


DocumentKind = Annotated[
    str,
    Path(
        description="the document's kind 文书种类, as listed by listCaseDocuments",
        examples=["tax_registration_confirmation"],
    ),
]


class StepDocumentLineOut(Schema):
    label_zh: str
    label_en: str
    value_zh: str
    value_en: str


class StepDocumentOut(Schema):
    """A document a step of the case produced — 办理结果文书 (seal filing record, tax
    registration confirmation, social insurance and housing fund registrations, bank account
    appointment), not a licence."""

    kind: str = Field(description="文书种类 the document's kind", examples=["tax_registration_confirmation"])
    task_key: str = Field(description="the step that issued it 办理环节", examples=["tax"])
    title_zh: str = Field(description="文书名称", examples=["税务登记确认书"])
    title_en: str = Field(description="the document's title", examples=["Tax registration confirmation"])
    number: str = Field(description="文书编号", examples=["SWDJ-2026-000001"])
    holder_uscc: str = Field(description="the company's unified social credit code 统一社会信用代码")
    holder_name: str = Field(description="the company's name 企业名称")
    issuer_name_zh: str = Field(description="出具机关")
    issuer_name_en: str = Field(description="the issuing authority")
    issuer_uscc: str = Field(description="the issuer's code; empty for a party outside the zone (a bank)")
    signed: bool = Field(description="the PDF carries the issuer's electronic signature 电子签名")
    issued_at: datetime
    lines: list[StepDocumentLineOut] = Field(description="what the document states 文书内容")
    pdf: str = Field(description="where to fetch its PDF (getCaseDocumentPdf)")


def step_document_out(output) -> dict:
    return {
        "kind": output.kind,
        "task_key": output.task_key,
        "title_zh": output.title_zh,
        "title_en": output.title_en,
        "number": output.number,
        "holder_uscc": output.holder_uscc,
        "holder_name": output.holder_name,
        "issuer_name_zh": output.issuer_name_zh,
        "issuer_name_en": output.issuer_name_en,
        "issuer_uscc": output.issuer_uscc,
        "signed": bool(output.issuer_uscc),
        "issued_at": output.issued_at,
        "lines": (output.details or {}).get("fields", []),
        "pdf": f"/api/v1/cases/{output.case.number}/documents/{output.kind}/pdf",
    }


@router.get(
    "cases/{number}/documents",
    response={200: list[StepDocumentOut], **ERRORS},
    summary="The case's step documents 办理结果文书",
    operation_id="listCaseDocuments",
)
def case_documents(request: HttpRequest, number: CaseNumber):
    """What the case's steps issued (seal filing, tax, social insurance, housing fund, bank
    appointment), in the order issued. Another applicant's case is not found (404)."""
    case = services.get_case_for(request.user, number)
    return [step_document_out(o) for o in services.step_outputs_of(case)]


@router.get(
    "cases/{number}/documents/{kind}",
    response={200: StepDocumentOut, **ERRORS},
    summary="One step document 办理结果文书",
    operation_id="getCaseDocument",
)
def case_document(request: HttpRequest, number: CaseNumber, kind: DocumentKind):
    return step_document_out(services.get_step_output_for(request.user, number, kind))


@router.get(
    "cases/{number}/documents/{kind}/pdf",
    response={200: None, **ERRORS},
    summary="A step document's PDF 办理结果文书版式文件",
    operation_id="getCaseDocumentPdf",
    openapi_extra={
        "responses": {
            "200": {
                "description": "the PDF, PAdES-signed in the issuer's name when the issuer is an authority of the zone",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def case_document_pdf(request: HttpRequest, number: CaseNumber, kind: DocumentKind):
    """The document as a PDF (check it on the public verify-document page)."""
    from django.http import HttpResponse

    from zimao.cases.pdf import render_pdf

    output = services.get_step_output_for(request.user, number, kind)
    response = HttpResponse(render_pdf(output), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{output.kind}-{output.case.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "cases/{number}/withdraw", response={200: CaseOut, **ERRORS}, summary="Withdraw 撤回", operation_id="withdrawCase"
)
def withdraw(request: HttpRequest, number: CaseNumber, payload: WithdrawIn):
    return case_out(services.withdraw(number, request.user, payload.reason))


@router.post(
    "cases/{number}/correction",
    response={200: CaseOut, **ERRORS},
    summary="Answer a correction request 补正",
    operation_id="answerCorrection",
)
def correction(request: HttpRequest, number: CaseNumber, payload: CorrectionIn):
    return case_out(services.answer_correction(number, request.user, payload.answer, payload.data, payload.materials))


@router.post(
    "cases/{number}/rating", response={201: dict, **ERRORS}, summary="Rate the service 好差评", operation_id="rateCase"
)
def rating(request: HttpRequest, number: CaseNumber, payload: RatingIn):
    r = services.rate(number, request.user, payload.level, payload.comment, payload.named, reasons=payload.reasons)
    return Status(
        201, {"case": number, "level": r.level, "reasons": r.reasons, "rectification_task": r.rectification_id}
    )


class RatingReasonOut(Schema):
    """One reason a rater may give at a level."""

    key: str
    zh: str
    en: str


class RatingReasonsOut(Schema):
    level: int
    reasons: list[RatingReasonOut]


@router.get(
    "rating-reasons",
    response={200: list[RatingReasonsOut]},
    auth=None,
    summary="Reasons per rating level 评价原因",
    operation_id="listRatingReasons",
)
def rating_reasons(request: HttpRequest):
    from zimao.cases.ratings import REASONS

    return [
        {"level": level, "reasons": [{"key": k, "zh": zh, "en": en} for k, zh, en in options]}
        for level, options in sorted(REASONS.items(), reverse=True)
    ]


class VerificationIn(Schema):
    """回访核实: what the rater said when the rectification was verified with them."""

    note: str = Field(
        "",
        max_length=2000,
        description="what the rater confirmed 回访记录",
        examples=["已电话回访，申请人确认问题已解决"],
    )


class AppealIn(Schema):
    """申诉: why the rated department thinks the rating is mistaken or malicious."""

    reason: str = Field(
        "", max_length=2000, description="the grounds of the appeal 申诉理由", examples=["评价内容与本办件无关"]
    )


class AppealDecisionIn(Schema):
    """复核: the zone administrator's decision on an appeal."""

    decision: Literal["upheld", "removed"] = Field(description="upheld 维持 or removed 撤销评价", examples=["upheld"])
    reason: str = Field("", max_length=2000, description="why 复核意见", examples=["评价属实，维持"])


class AppealOut(Schema):
    id: int
    case: str
    level: int
    comment: str
    reason: str
    status: str
    appellant: str
    decision_reason: str
    decided_by: str | None = None
    rating_counts: bool


def appeal_out(item) -> dict:
    return {
        "id": item.pk,
        "case": item.rating.case.number,
        "level": item.rating.level,
        "comment": item.rating.comment,
        "reason": item.reason,
        "status": item.status,
        "appellant": item.appellant.username,
        "decision_reason": item.decision_reason,
        "decided_by": item.decided_by.username if item.decided_by else None,
        "rating_counts": not item.rating.voided,
    }


@router.post(
    "cases/{number}/rating/verification",
    response={200: dict, **ERRORS},
    summary="Verify a rectification with the rater 回访核实",
    operation_id="verifyRectification",
)
def rating_verification(request: HttpRequest, number: CaseNumber, payload: VerificationIn):
    r = services.verify_rectification(number, request.user, payload.note)
    return {"case": number, "verified_at": r.verified_at.isoformat(), "note": r.verification_note}


@router.post(
    "cases/{number}/rating/appeal",
    response={201: AppealOut, **ERRORS},
    summary="Appeal a rating 申诉",
    operation_id="appealRating",
)
def rating_appeal(request: HttpRequest, number: CaseNumber, payload: AppealIn):
    return Status(201, appeal_out(services.appeal(number, request.user, payload.reason)))


@router.get(
    "rating-appeals",
    response={200: list[AppealOut], **ERRORS},
    summary="Appeals waiting for review 待复核申诉",
    operation_id="listRatingAppeals",
)
def rating_appeals(request: HttpRequest):
    from zimao.cases.ratings import pending_appeals

    return [appeal_out(a) for a in pending_appeals(request.user)]


@router.post(
    "rating-appeals/{appeal_id}/decision",
    response={200: AppealOut, **ERRORS},
    summary="Review an appeal 复核",
    operation_id="decideRatingAppeal",
)
def rating_appeal_decision(
    request: HttpRequest, appeal_id: Annotated[int, Path(description="appeal id 申诉编号")], payload: AppealDecisionIn
):
    from zimao.cases.ratings import get_appeal_for

    item = services.review_appeal(appeal_id, request.user, payload.decision, payload.reason)
    return appeal_out(get_appeal_for(request.user, item.pk))


@router.post(
    "cases/{number}/rating/follow-up",
    response={200: dict, **ERRORS},
    summary="Answer again after rectification 回访",
    operation_id="answerRatingFollowUp",
)
def rating_follow_up(request: HttpRequest, number: CaseNumber, payload: FollowUpIn):
    r = services.follow_up(number, request.user, payload.level)
    return {"case": number, "level": r.level, "follow_up_level": r.follow_up_level}


@router.post(
    "cases/{number}/delivery",
    response={200: CaseOut, **ERRORS},
    summary="Hand out or mail the result 出件",
    operation_id="recordDelivery",
)
def delivery(request: HttpRequest, number: CaseNumber, payload: DeliveryIn):
    return case_out(services.record_delivery(number, request.user, payload.method, payload.tracking_number))


@router.post(
    "cases/{number}/extension",
    response={200: CaseOut, **ERRORS},
    summary="Extend the limits 延期",
    operation_id="extendCase",
)
def extension(request: HttpRequest, number: CaseNumber, payload: ExtensionIn):
    return case_out(services.extend(number, request.user, payload.days, payload.reason))


@router.get(
    "tasks", response={200: list[TaskOut], **ERRORS}, summary="My department's tasks 待办", operation_id="listTasks"
)
def tasks(
    request: HttpRequest,
    view: Annotated[
        Literal["open", "due_soon", "overdue", "done"],
        Query(description="which tasks 视图: open 待办, due_soon 临期, overdue 超期, done 已办"),
    ] = "open",
    service: Annotated[str, Query(description="only this service item code 事项编码")] = "",
    after_due: Annotated[
        ApiDate | None, Query(description="keyset page: due_date of the last task seen (with after_id)")
    ] = None,
    after_id: Annotated[int | None, Query(description="keyset page: id of the last task seen (with after_due)")] = None,
    limit: Annotated[int, Query(description="at most this many (1–200)")] = 50,
):
    after = (after_due, after_id) if after_due and after_id else None
    return [
        task_out(t)
        for t in services.worklist(request.user, view=view, service=service, after=after, limit=max(1, min(limit, 200)))
    ]


@router.post(
    "tasks/{task_id}/decision", response={200: TaskOut, **ERRORS}, summary="Decide 审核决定", operation_id="decideTask"
)
def decide(request: HttpRequest, task_id: TaskId, payload: DecisionIn):
    task = services.decide(task_id, request.user, payload.outcome, payload.reason, payload.fields)
    return task_out(Task.objects.select_related("case__service", "department").get(pk=task.pk))


@router.post(
    "tasks/{task_id}/rectification",
    response={200: TaskOut, **ERRORS},
    summary="Answer a poor rating 差评整改",
    operation_id="rectifyTask",
)
def rectify(request: HttpRequest, task_id: TaskId, payload: RectifyIn):
    task = services.rectify(task_id, request.user, payload.answer)
    return task_out(Task.objects.select_related("case__service", "department").get(pk=task.pk))


# Saved drafts (暂存草稿): their own module, under the same prefix and tag.
from zimao.cases.api_drafts import router as drafts_router  # noqa: E402

router.add_router("", drafts_router)
