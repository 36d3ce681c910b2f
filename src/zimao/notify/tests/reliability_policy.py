"""The notification centre's routes for the permission matrix (``tests/reliability``) — 权限矩阵中
的消息通知路由. Everyone signed in has a centre of their own; applicant A's notification is A's
alone: anyone else gets "not found", the zone administrator included."""

from __future__ import annotations


def notify_world(users: dict) -> dict:
    from zimao.notify.models import Notification

    row = Notification.objects.create(
        user=users["applicant"],
        event_key="case.decided:MATRIX-1",
        kind="approved",
        case_number="",
        subject_zh="办件 MATRIX-1 已批准",
        subject_en="Case MATRIX-1 was approved",
        body_zh="已批准",
        body_en="Approved",
    )
    return {"notification": row.pk}


def pages(p) -> dict:
    Check, Ref, expect = p.Check, p.Ref, p.expect
    signed_in = expect(p.OK, anon=p.LOGIN)
    own = expect(p.HIDDEN, anon=p.LOGIN, applicant=p.OK)
    one = {"pk": Ref("notification")}
    return {
        "notify:centre": [Check(signed_in)],
        "notify:read": [Check(own, "POST", args=one), Check(p.NOT_THIS_METHOD, args=one)],
        "notify:read_all": [Check(signed_in, "POST"), Check(p.NOT_THIS_METHOD)],
        "notify:settings": [
            Check(signed_in),
            Check(signed_in, "POST", data={"email": "on", "sms": "on", "language": ""}),
        ],
    }


def api(p) -> dict:
    Check, Ref, expect = p.Check, p.Ref, p.expect
    signed_in = expect(p.OK, anon=p.LOGIN)
    own = expect(p.HIDDEN, anon=p.LOGIN, applicant=p.OK)
    base = "/api/v1/notify"
    return {
        f"GET {base}/notifications": [Check(signed_in), Check(signed_in, query={"unread": "true", "limit": "5"})],
        f"POST {base}/notifications/{{notification_id}}/read": [
            Check(own, "POST", args={"notification_id": Ref("notification")})
        ],
    }
