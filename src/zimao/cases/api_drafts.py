"""Saved drafts (暂存草稿) over REST: what the portal's "save and come back later" keeps, for an
integrator's own software — save, list, resume, delete. Each caller reaches only their own drafts
(anyone else's is simply not there: 404). Mounted on the cases router (``cases.api``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from zimao.cases import drafts
from zimao.cases.models import Draft
from zimao.catalog import services as catalog
from zimao.core.errors import COMMON_ERRORS, ErrorOut

router = Router(tags=["cases"])

ERRORS = {**COMMON_ERRORS, 409: ErrorOut}
ServiceCode = Annotated[
    str, Path(description="service item code 事项编码 (one draft per service)", examples=["QYKB-001"])
]


class DraftIn(Schema):
    """A saved draft — 暂存草稿: the sections filled so far and the uploads so far, kept on the
    server until the application is submitted (``submitCase``), deleted, or left unsaved for the
    retention period. Each section sent is checked whole, as the portal checks a section page;
    leave out the sections not yet filled. An identity or phone number sent as it was shown (its
    mask), blank or left out keeps the number saved before."""

    data: dict[str, dict] = Field(
        default_factory=dict,
        max_length=100,
        description="the sections filled so far, {section: {field: value}}, as the service's form defines 申请表",
        examples=[{"name": {"division": "410305", "trade_name": "智远", "industry": "科技", "org_form": "有限公司"}}],
    )
    materials: dict[str, int] = Field(
        default_factory=dict,
        max_length=100,
        description="material key → uploaded material id (uploadMaterial) 申请材料; an upload the draft "
        "held and no longer names is discarded",
        examples=[{"articles": 1}],
    )


class DraftMaterialOut(Schema):
    id: int = Field(description="the uploaded material's id")
    name: str = Field(description="the file's name as uploaded 文件名")
    size: int = Field(description="bytes")


class DraftOut(Schema):
    service: str = Field(description="service item code 事项编码")
    service_name_zh: str
    service_name_en: str
    data: dict = Field(description="the saved sections; identity and phone numbers by their mask only 脱敏显示")
    materials: dict[str, DraftMaterialOut]
    incomplete_sections: list[str] = Field(description="sections of the form not yet saved 未填部分")
    missing_materials: list[str] = Field(description="required materials not yet uploaded 未上传的必需材料")
    complete: bool = Field(description="nothing is missing: ready for submitCase")
    created_at: datetime
    updated_at: datetime = Field(description="last saved 最近保存时间")
    expires_at: datetime = Field(description="deleted after this unless saved again 保留期限")


def draft_out(draft: Draft) -> dict:
    sections, materials = drafts.outstanding(draft)
    return {
        "service": draft.service.code,
        "service_name_zh": draft.service.name_zh,
        "service_name_en": draft.service.name_en,
        "data": drafts.shown_sections(draft),
        "materials": draft.materials,
        "incomplete_sections": sections,
        "missing_materials": materials,
        "complete": not (sections or materials),
        "created_at": draft.created_at,
        "updated_at": draft.updated_at,
        "expires_at": drafts.expires_at(draft),
    }


@router.put(
    "drafts/{service_code}",
    response={200: DraftOut, 201: DraftOut, **ERRORS},
    summary="Save a draft 暂存草稿",
    operation_id="saveDraft",
)
def save_draft(request: HttpRequest, service_code: ServiceCode, payload: DraftIn):
    """Save (or replace) your draft of this service: 201 when it is new, 200 when it replaced the
    one saved before. The same body twice leaves one draft. Every wrong field is named (422)."""
    service = catalog.get_service(service_code)
    catalog.current_process(service)  # a service that takes no applications keeps no drafts (409)
    draft, created = drafts.replace_draft(request.user, service, payload.data, payload.materials)
    return Status(201 if created else 200, draft_out(draft))


@router.get(
    "drafts", response={200: list[DraftOut], **ERRORS}, summary="My drafts 我的草稿", operation_id="listMyDrafts"
)
def my_drafts(
    request: HttpRequest,
    limit: Annotated[int, Query(description="at most this many, last saved first (1–100)")] = 100,
):
    return [draft_out(d) for d in drafts.drafts_of(request.user, limit=max(1, min(limit, 100)))]


@router.get(
    "drafts/{service_code}",
    response={200: DraftOut, **ERRORS},
    summary="Resume a draft 继续填写",
    operation_id="getDraft",
)
def get_draft(request: HttpRequest, service_code: ServiceCode):
    """Your saved draft of this service; 404 when you have none."""
    return draft_out(drafts.own_draft(request.user, catalog.get_service(service_code)))


@router.delete(
    "drafts/{service_code}",
    response={204: None, **ERRORS},
    summary="Delete a draft 删除草稿",
    operation_id="deleteDraft",
)
def delete_draft(
    request: HttpRequest,
    service_code: ServiceCode,
    discard_uploads: Annotated[
        bool,
        Query(
            description="also delete the unsent uploads the draft held (as the portal does); false keeps them "
            "as ordinary unsent uploads, usable in submitCase until they expire 同时删除未提交的材料"
        ),
    ] = True,
):
    """Delete your draft of this service (204); 404 when you have none."""
    service = catalog.get_service(service_code)
    drafts.own_draft(request.user, service)
    drafts.delete_draft(request.user, service, discard_uploads=discard_uploads)
    return Status(204, None)
