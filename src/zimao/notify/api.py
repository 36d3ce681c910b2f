"""Notifications API — 消息通知接口, under /api/v1/notify/: the caller's own notifications (the
notification centre's rows) and marking one read. Nobody sees anyone else's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Path, Query, Router, Schema

from zimao.core.errors import COMMON_ERRORS
from zimao.notify import services

prefix = "/notify/"
router = Router(tags=["notify"])


class NotificationOut(Schema):
    id: int
    kind: str
    case_number: str
    subject: str
    body: str
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    created_at: datetime
    read_at: datetime | None
    unread: bool


def notification_out(row) -> dict:
    en = (get_language() or "").startswith("en")
    return {
        "id": row.pk,
        "kind": row.kind,
        "case_number": row.case_number,
        "subject": row.subject_en if en else row.subject_zh,
        "body": row.body_en if en else row.body_zh,
        "subject_zh": row.subject_zh,
        "subject_en": row.subject_en,
        "body_zh": row.body_zh,
        "body_en": row.body_en,
        "created_at": row.created_at,
        "read_at": row.read_at,
        "unread": row.read_at is None,
    }


NotificationId = Annotated[int, Path(description="notification id 消息编号, as listed by listMyNotifications")]


@router.get(
    "notifications",
    response={200: list[NotificationOut], **COMMON_ERRORS},
    summary="My notifications 我的消息",
    operation_id="listMyNotifications",
)
def my_notifications(
    request: HttpRequest,
    unread: Annotated[bool, Query(description="only the unread ones 仅未读", examples=[False])] = False,
    limit: Annotated[int, Query(description="at most this many, newest first (1–200)", examples=[50])] = 50,
):
    """The caller's notifications — a case needing a correction, decided, issued — newest first."""
    return [notification_out(n) for n in services.notifications_of(request.user, unread_only=unread, limit=limit)]


@router.post(
    "notifications/{notification_id}/read",
    response={200: NotificationOut, **COMMON_ERRORS},
    summary="Mark a notification read 标为已读",
    operation_id="markNotificationRead",
)
def mark_read(request: HttpRequest, notification_id: NotificationId):
    """Mark one of the caller's notifications read (someone else's is 404, like one that does not exist)."""
    return notification_out(services.mark_read(request.user, notification_id))
