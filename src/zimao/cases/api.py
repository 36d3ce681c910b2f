"""Cases and tasks over REST: apply, follow, decide, deliver, rate.

Every operation declares its error responses (``ErrorOut``, bilingual, naming the field).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Header, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from zimao.cases import services
from zimao.cases.models import Case, Task
from zimao.cases.workflow import STATUS_WORDS
from zimao.core import audit
from zimao.core.errors import COMMON_ERRORS, ErrorOut

prefix = "/"
router = Router(tags=["cases"])

ERRORS = {**COMMON_ERRORS, 409: ErrorOut}


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
    due_provisional: bool
    paused_days: int
    extension_days: int
    delivery_method: str
    tracking_number: str
    results: dict
    outputs: list[OutputOut]
    tasks: list[TaskOut]
    rating: int | None = None


class ApplicationIn(Schema):
    service: str = Field(min_length=1, max_length=40, description="service item code, e.g. QYKB-001")
    data: dict = Field(description="{section: {field: value}} as the service's form defines")
    materials: dict[str, int] = Field(default_factory=dict, description="material key → uploaded material id")
    delivery_method: Literal["electronic", "window", "mail"] = "electronic"
    mail_address: str = Field(default="", max_length=300)


class DecisionIn(Schema):
    outcome: Literal["approve", "refuse", "correct"]
    reason: str = Field(default="", max_length=2000)
    fields: dict = Field(default_factory=dict, description="the task's decision-time fields, e.g. an exchange rate")


class CorrectionIn(Schema):
    answer: str = Field(default="", max_length=2000)
    data: dict = Field(default_factory=dict)
    materials: dict[str, int] = Field(default_factory=dict)


class RatingIn(Schema):
    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    comment: str = Field(default="", max_length=1000)
    named: bool = True


class FollowUpIn(Schema):
    level: int = Field(ge=1, le=5)


class DeliveryIn(Schema):
    method: Literal["window", "mail"]
    tracking_number: str = Field(default="", max_length=40)


class ExtensionIn(Schema):
    days: int = Field(ge=1, le=30)
    reason: str = Field(min_length=1, max_length=1000)


class WithdrawIn(Schema):
    reason: str = Field(default="", max_length=1000)


class RectifyIn(Schema):
    answer: str = Field(min_length=1, max_length=2000)


class EventOut(Schema):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    after: dict | None = None


def task_out(task: Task) -> dict:
    return {"id": task.pk, "key": task.key, "kind": task.kind, "case": task.case.number, "service": task.case.service.code,
            "department": task.department.code, "name_zh": task.name_zh, "name_en": task.name_en, "status": task.status,
            "due_date": task.due_date, "escalated": task.escalated, "reason": task.reason, "auto_notes": task.auto_notes}


def case_out(case: Case) -> dict:
    zh, en = STATUS_WORDS[case.status]
    services.with_progress(case)
    rating = getattr(case, "rating", None)  # reverse one-to-one: absent → None (one query unless fetched)
    return {
        "number": case.number, "service": case.service.code, "service_name_zh": case.service.name_zh,
        "service_name_en": case.service.name_en, "process_version": case.process.version, "status": case.status,
        "status_zh": zh, "status_en": en, "submitted_at": case.submitted_at, "due_date": case.due_date,
        "legal_due_date": case.legal_due_date, "due_provisional": case.due_provisional, "paused_days": case.paused_days,
        "extension_days": case.extension_days, "delivery_method": case.delivery_method,
        "tracking_number": case.tracking_number, "results": case.results, "outputs": case.outputs,
        "tasks": [task_out(t) for t in case.tasks.all()],
        "rating": rating.level if rating else None,
    }


@router.post("materials", response={201: MaterialOut, **ERRORS}, summary="Upload a material 上传材料")
def upload_material(request: HttpRequest, key: Form[str] = "", file: File[UploadedFile] = None):
    if file is None:
        from zimao.core.errors import BusinessError

        raise BusinessError.of("file", "required", "请选择要上传的文件", "Choose a file to upload", status=422)
    content = file.read(settings.UPLOAD_MAX_BYTES + 1)  # one byte over the limit is enough to refuse
    material = services.upload_material(request.user, key[:40], file.name, content)
    return Status(201, material)


@router.post("cases", response={200: CaseOut, 201: CaseOut, **ERRORS}, summary="Apply 提交申请")
def submit(request: HttpRequest, payload: ApplicationIn, idempotency_key: str = Header("", alias="Idempotency-Key")):
    """Submit an application. Send an ``Idempotency-Key`` header: repeating the request with the
    same key returns the same case (200) instead of creating a second one (201)."""
    result = services.submit(request.user, payload.service, payload.data, materials=payload.materials,
                             idempotency_key=idempotency_key, delivery_method=payload.delivery_method,
                             mail_address=payload.mail_address, channel="api")
    case = services.get_case_for(request.user, result.case.number)
    return Status(201 if result.created else 200, case_out(case))


@router.get("cases", response={200: list[CaseOut], **ERRORS}, summary="My applications 我的办件")
def my_cases(request: HttpRequest, limit: int = 50):
    return [case_out(c) for c in services.cases_with_progress(request.user)[: max(1, min(limit, 200))]]


@router.get("cases/{number}", response={200: CaseOut, **ERRORS}, summary="Case status 办件进度")
def case_detail(request: HttpRequest, number: str):
    return case_out(services.get_case_for(request.user, number))


@router.get("cases/{number}/history", response={200: list[EventOut], **ERRORS}, summary="Case history 办理记录")
def case_history(request: HttpRequest, number: str):
    case = services.get_case_for(request.user, number)
    return audit.history("cases.case", case.pk)


@router.post("cases/{number}/withdraw", response={200: CaseOut, **ERRORS}, summary="Withdraw 撤回")
def withdraw(request: HttpRequest, number: str, payload: WithdrawIn):
    return case_out(services.withdraw(number, request.user, payload.reason))


@router.post("cases/{number}/correction", response={200: CaseOut, **ERRORS}, summary="Answer a correction request 补正")
def correction(request: HttpRequest, number: str, payload: CorrectionIn):
    return case_out(services.answer_correction(number, request.user, payload.answer, payload.data, payload.materials))


@router.post("cases/{number}/rating", response={201: dict, **ERRORS}, summary="Rate the service 好差评")
def rating(request: HttpRequest, number: str, payload: RatingIn):
    r = services.rate(number, request.user, payload.level, payload.comment, payload.named)
    return Status(201, {"case": number, "level": r.level, "rectification_task": r.rectification_id})


@router.post("cases/{number}/rating/follow-up", response={200: dict, **ERRORS}, summary="Answer again after rectification 回访")
def rating_follow_up(request: HttpRequest, number: str, payload: FollowUpIn):
    r = services.follow_up(number, request.user, payload.level)
    return {"case": number, "level": r.level, "follow_up_level": r.follow_up_level}


@router.post("cases/{number}/delivery", response={200: CaseOut, **ERRORS}, summary="Hand out or mail the result 出件")
def delivery(request: HttpRequest, number: str, payload: DeliveryIn):
    return case_out(services.record_delivery(number, request.user, payload.method, payload.tracking_number))


@router.post("cases/{number}/extension", response={200: CaseOut, **ERRORS}, summary="Extend the limits 延期")
def extension(request: HttpRequest, number: str, payload: ExtensionIn):
    return case_out(services.extend(number, request.user, payload.days, payload.reason))


@router.get("tasks", response={200: list[TaskOut], **ERRORS}, summary="My department's tasks 待办")
def tasks(request: HttpRequest, view: Literal["open", "due_soon", "overdue", "done"] = "open", service: str = "",
          after_due: date | None = None, after_id: int | None = None, limit: int = 50):
    after = (after_due, after_id) if after_due and after_id else None
    return [task_out(t) for t in services.worklist(request.user, view=view, service=service, after=after,
                                                   limit=max(1, min(limit, 200)))]


@router.post("tasks/{task_id}/decision", response={200: TaskOut, **ERRORS}, summary="Decide 审核决定")
def decide(request: HttpRequest, task_id: int, payload: DecisionIn):
    task = services.decide(task_id, request.user, payload.outcome, payload.reason, payload.fields)
    return task_out(Task.objects.select_related("case__service", "department").get(pk=task.pk))


@router.post("tasks/{task_id}/rectification", response={200: TaskOut, **ERRORS}, summary="Answer a poor rating 差评整改")
def rectify(request: HttpRequest, task_id: int, payload: RectifyIn):
    task = services.rectify(task_id, request.user, payload.answer)
    return task_out(Task.objects.select_related("case__service", "department").get(pk=task.pk))
