"""好差评 — service ratings (国办发〔2019〕51号, GB/T 39734-2020 "一次一评、一事一评").

The life of a rating:

1. ``rate`` — one rating per case, five levels, with reasons chosen from the level's list
   (``REASONS``; optional, but only the level's own). A *named* 差评 (不满意 or worse) opens a
   rectification task for the department that handled the case ("谁办理、谁负责").
2. ``rectify`` — the department records what it did (立行立改 / 限期整改 / 解释说明).
3. ``verify_rectification`` — 回访核实: an officer of the service centre (window clerk or zone
   administrator) contacts the rater and records what they found. The rectification does not
   close, and the rater is not asked again, before this step.
4. ``follow_up`` — the rater rates the result again (回访评价). Still 差评 → escalated: a task for
   the zone administrator (督办) and a notice to its inbox.
5. ``appeal`` / ``review_appeal`` — 申诉复核: the rated unit may appeal a mistaken or malicious
   rating; the zone administrator upholds it (it stays) or removes it (kept, never deleted, but
   no longer counted: the dashboard's rating figures are rebuilt without it). Both audited.

The reason lists follow the usual 好差评 forms; GB/T 39734 Annex A's exact wording is not
confirmed (see the reference notes), so they are data here, not law.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from zimao.cases.models import Case, Rating, RatingAppeal, Task, Timer
from zimao.cases.workflow import FINAL, CaseStatus
from zimao.catalog import services as catalog
from zimao.catalog.models import Department, Officer
from zimao.core import audit, events
from zimao.core.errors import BusinessError, Conflict, Problem, forbidden, not_found

S = CaseStatus
POOR = (Rating.Level.DISSATISFIED, Rating.Level.VERY_DISSATISFIED)

_POOR_REASONS = [
    ("guide_inaccurate", "办事指南不准确", "The service guide was inaccurate"),
    ("repeat_visits", "多次跑动、重复提交材料", "I had to come back or submit materials again"),
    ("long_wait", "等待时间长", "Long waiting time"),
    ("overdue", "超过承诺时限", "Not done within the promised time"),
    ("attitude", "服务态度差", "Poor attitude of the staff"),
    (
        "unreasonable",
        "要求不合理（额外材料、指定中介等）",
        "Unreasonable requirements (extra documents, a named agency…)",
    ),
    ("system_hard", "网上办理系统不好用", "The online system was hard to use"),
    ("other", "其他（请在评价内容中说明）", "Other (say what in the comment)"),
]
_FAIR_REASONS = [
    ("could_be_faster", "办理速度有待提高", "Could be faster"),
    ("guide_unclear", "办事指南不够清楚", "The guide could be clearer"),
    ("system_hard", "网上办理系统不好用", "The online system was hard to use"),
    ("other", "其他（请在评价内容中说明）", "Other (say what in the comment)"),
]
_GOOD_REASONS = [
    ("efficient", "办事效率高", "Quick service"),
    ("attitude_good", "服务态度好", "Helpful staff"),
    ("guide_clear", "办事指南清楚准确", "A clear and accurate guide"),
    ("online_easy", "网上办理方便", "Easy to do online"),
    ("one_visit", "一次办成", "Done in one go"),
    ("other", "其他（请在评价内容中说明）", "Other (say what in the comment)"),
]
# Reasons per level (评价原因): a rater chooses among their level's options.
REASONS: dict[int, list[tuple[str, str, str]]] = {
    1: _POOR_REASONS,
    2: _POOR_REASONS,
    3: _FAIR_REASONS,
    4: _GOOD_REASONS,
    5: _GOOD_REASONS,
}


def reason_words(level: int, keys) -> list[tuple[str, str]]:
    """The (zh, en) words of the chosen reasons, in the list's order."""
    chosen = set(keys or [])
    return [(zh, en) for key, zh, en in REASONS.get(int(level), []) if key in chosen]


def _engine():
    from zimao.cases import services  # the engine's helpers (services re-exports this module)

    return services


def _level(value) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in Rating.Level.values:
        raise BusinessError.of("level", "invalid", "评价等级应为1到5", "The rating must be 1 to 5", status=422)
    return level


def _clean_reasons(level: int, reasons, comment: str) -> list[str]:
    if isinstance(reasons, str):
        reasons = [reasons]
    reasons = [str(r).strip() for r in (reasons or []) if str(r).strip()]
    allowed = [key for key, _zh, _en in REASONS[level]]
    unknown = [r for r in reasons if r not in allowed]
    if unknown:
        raise BusinessError.of(
            "reasons",
            "invalid",
            f"所选原因不属于该评价等级：{'、'.join(unknown)}",
            f"These reasons do not belong to the level chosen: {', '.join(unknown)}",
            status=422,
        )
    if "other" in reasons and not comment:
        raise BusinessError.of(
            "comment",
            "required",
            "选择“其他”时请填写评价内容",
            "Say what in the comment when you choose 'Other'",
            status=422,
        )
    return [key for key in allowed if key in reasons]


def _text(value, field: str, zh: str, en: str, limit: int = 2000) -> str:
    text = (value or "").strip()
    if not text:
        raise BusinessError.of(field, "required", zh, en, status=422)
    if len(text) > limit:
        raise BusinessError.of(field, "too_long", f"不能超过{limit}字", f"At most {limit} characters", status=422)
    return text


def _rectification_task(case: Case, department: Department, key: str, name_zh: str, name_en: str, days: int) -> Task:
    due = _engine().deadline(timezone.localdate(), days).date
    task = Task.objects.create(
        case=case,
        kind=Task.Kind.RECTIFICATION,
        key=key,
        stage_key="rating",
        department=department,
        name_zh=name_zh,
        name_en=name_en,
        due_date=due,
    )
    Timer.objects.create(case=case, task=task, kind=Timer.Kind.TASK_DUE, fire_on=due)
    audit.record("system:rating", "task.created", task, after={"case": case.number, "kind": key, "due_date": due})
    return task


# ---------------------------------------------------------------- rate, rectify, verify, follow up


def rate(case_number: str, applicant, level: int, comment: str = "", named: bool = True, reasons=None) -> Rating:
    """One rating per case (一事一评), with the level's reasons. A named poor rating (不满意 or
    worse) opens a rectification task for the service's department with its own deadline."""
    level = _level(level)
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise BusinessError.of(
            "comment", "too_long", "评价内容不能超过1000字", "The comment must be at most 1000 characters", status=422
        )
    engine = _engine()
    with transaction.atomic():
        case = engine._applicant_case(case_number, applicant, lock=True)
        reasons = _clean_reasons(level, reasons, comment)
        if case.status not in FINAL or case.status == S.WITHDRAWN:
            raise Conflict(
                Problem("status", "not_finished", "办结后才能评价", "You can rate a case once it is finished")
            )
        if Rating.objects.filter(case=case).exists():
            raise Conflict(Problem("level", "already_rated", "该办件已经评价过了", "This case has already been rated"))
        rating = Rating.objects.create(case=case, level=level, comment=comment, named=bool(named), reasons=reasons)
        audit.record(
            applicant,
            "case.rated",
            rating,
            after={"case": case.number, "level": level, "named": bool(named), "reasons": reasons},
        )
        events.announce(
            "case.rated",
            {
                "number": case.number,
                "level": level,
                "named": bool(named),
                "service": case.service.code,
                "service_name": case.service.name_zh,
                "at": rating.created_at,
            },
            key=case.number,
        )
        if level in POOR and named:
            task = _rectification_task(
                case,
                case.service.department,
                "rectification",
                "差评整改",
                "Rectify a poor rating",
                case.service.rectification_days,
            )
            rating.rectification = task
            rating.save(update_fields=["rectification"])
            engine.notify(
                case,
                department=case.service.department,
                zh=f"办件 {case.number} 收到差评，请在 {task.due_date} 前整改",
                en=f"Case {case.number} was rated poorly; rectify by {task.due_date}",
            )
        return rating


def _is_centre_officer(user) -> bool:
    """Staff of the service centre (政务服务管理机构): window clerks and zone administrators."""
    officer = catalog.officer_of(user)
    return bool(officer and officer.role in (Officer.Role.CLERK, Officer.Role.ADMIN))


def _is_admin(user) -> bool:
    officer = catalog.officer_of(user)
    return bool(officer and officer.role == Officer.Role.ADMIN)


def rectify(task_id: int, user, answer: str) -> Task:
    """The department answers a poor rating; the centre verifies it next (回访核实)."""
    answer = _text(answer, "answer", "请填写整改情况", "Describe what was rectified")
    engine = _engine()
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("case")
            .filter(pk=task_id, kind=Task.Kind.RECTIFICATION)
            .first()
        )
        if task is None or not (engine._rectification_owner(user, task) or engine.officer_can_act(user, task)):
            raise not_found("task")
        if task.status != Task.Status.OPEN:
            raise Conflict(
                Problem("task", "already_decided", "该整改已答复", "This rectification was already answered")
            )
        engine._close_task(task, Task.Status.DONE, user, answer[:2000])
        rating = Rating.objects.filter(rectification=task).first()
        if rating is not None:  # the first rectification: the centre verifies it with the rater
            admin = Department.objects.filter(code="ADMIN").first() or task.department
            engine.notify(
                task.case,
                department=admin,
                zh=f"办件 {task.case.number} 的差评已整改，请回访核实",
                en=f"The poor rating of case {task.case.number} was rectified; verify it with the applicant",
            )
        else:  # an escalation answered by the administrator: tell the applicant
            engine.notify(
                task.case,
                user=task.case.applicant,
                kind="rating_followed_up",
                zh=f"您对办件 {task.case.number} 的评价已督办：{answer}",
                en=f"Your rating of case {task.case.number} was followed up by the zone administration: {answer}",
            )
        return task


def verify_rectification(case_number: str, user, note: str) -> Rating:
    """回访核实: a centre officer contacted the rater and checked the rectification; the rater is
    then asked to rate the result again."""
    if not _is_centre_officer(user):
        raise forbidden("rating")
    note = _text(note, "note", "请填写回访核实情况", "Record what the follow-up call found")
    engine = _engine()
    with transaction.atomic():
        rating = (
            Rating.objects.select_for_update(of=("self",))
            .select_related("case", "rectification", "case__applicant")
            .filter(case__number=case_number)
            .first()
        )
        if rating is None:
            raise not_found("rating")
        if not rating.rectification or rating.rectification.status != Task.Status.DONE:
            raise Conflict(
                Problem(
                    "note", "not_rectified", "整改尚未答复，不能回访核实", "The rectification has not been answered yet"
                )
            )
        if rating.verified_at:
            raise Conflict(Problem("note", "already_verified", "已回访核实", "Already verified"))
        rating.verified_at, rating.verified_by, rating.verification_note = timezone.now(), user, note
        rating.save(update_fields=["verified_at", "verified_by", "verification_note"])
        audit.record(user, "case.rating_verified", rating, after={"case": case_number, "note": note})
        case = rating.case
        engine.notify(
            case,
            user=case.applicant,
            kind="rating_rectified",
            zh=f"您对办件 {case.number} 的差评已整改：{rating.rectification.reason}。请再次评价。",
            en=f"Your poor rating of case {case.number} was rectified: {rating.rectification.reason}. Please rate again.",
        )
        return rating


def awaiting_follow_up(rating: Rating | None) -> bool:
    """The rater may answer again: rectified, verified, not yet answered, not removed."""
    return bool(
        rating and rating.rectification_id and rating.verified_at and not rating.follow_up_level and not rating.voided
    )


def follow_up(case_number: str, applicant, level: int) -> Rating:
    """The applicant's second answer after the verified rectification (回访). Still poor → the
    zone administrator gets a task (督办)."""
    engine = _engine()
    with transaction.atomic():
        case = engine._applicant_case(case_number, applicant, lock=True)
        rating = Rating.objects.filter(case=case).select_related("rectification").first()
        if (
            not rating
            or not rating.rectification
            or rating.rectification.status != Task.Status.DONE
            or not rating.verified_at
        ):
            raise Conflict(Problem("level", "no_follow_up", "没有待回访的整改", "There is no rectification to answer"))
        if rating.follow_up_level:
            raise Conflict(Problem("level", "already_rated", "已经回访过了", "You have already answered"))
        level = _level(level)
        rating.follow_up_level, rating.follow_up_at = level, timezone.now()
        fields = ["follow_up_level", "follow_up_at"]
        if level in POOR:
            admin = Department.objects.get(code="ADMIN")
            rating.escalation = _rectification_task(
                case,
                admin,
                "rating-escalation",
                "督办：整改后仍不满意",
                "Escalated: still dissatisfied after rectification",
                case.service.rectification_days,
            )
            fields.append("escalation")
            engine.notify(
                case,
                department=admin,
                zh=f"督办：办件 {case.number} 整改后回访仍为差评",
                en=f"Escalated: case {case.number} is still rated poorly after rectification",
            )
        rating.save(update_fields=fields)
        audit.record(applicant, "case.rating_follow_up", rating, after={"level": level, "escalated": level in POOR})
        return rating


# ---------------------------------------------------------------- 申诉复核


def can_appeal(user, rating: Rating) -> bool:
    """The rated unit: an officer (not the zone administrator, who reviews) of the department that
    handled the case."""
    officer = catalog.officer_of(user)
    return bool(
        officer and officer.role != Officer.Role.ADMIN and officer.department_id == rating.case.service.department_id
    )


def appeal(case_number: str, user, reason: str) -> RatingAppeal:
    """The rated unit appeals a mistaken or malicious rating (申诉), once."""
    reason = _text(
        reason,
        "reason",
        "请说明申诉理由（例如评价对象错误、恶意差评的事实）",
        "Give the reason for the appeal (e.g. the wrong service was rated, facts showing malice)",
    )
    with transaction.atomic():
        rating = (
            Rating.objects.select_for_update(of=("self",))
            .select_related("case__service")
            .filter(case__number=case_number)
            .first()
        )
        if rating is None or not can_appeal(user, rating):
            raise not_found("rating")
        if RatingAppeal.objects.filter(rating=rating).exists():
            raise Conflict(
                Problem("reason", "already_appealed", "该评价已申诉", "This rating has already been appealed")
            )
        item = RatingAppeal.objects.create(rating=rating, appellant=user, reason=reason)
        audit.record(
            user, "case.rating_appealed", item, after={"case": case_number, "level": rating.level, "reason": reason}
        )
        admin = Department.objects.filter(code="ADMIN").first()
        if admin:
            _engine().notify(
                rating.case,
                department=admin,
                zh=f"办件 {case_number} 的评价被申诉，请复核",
                en=f"The rating of case {case_number} was appealed; review it",
            )
        return item


def review_appeal(appeal_id: int, user, decision: str, reason: str) -> RatingAppeal:
    """复核: the zone administrator upholds the rating or removes it, with the reason (audited).
    A removed rating is kept but no longer counts: open rectification work on it is cancelled and
    the dashboard's rating figures are rebuilt without it."""
    if not _is_admin(user):
        raise forbidden("rating")
    if decision not in (RatingAppeal.Status.UPHELD, RatingAppeal.Status.REMOVED):
        raise BusinessError.of(
            "decision",
            "invalid",
            "复核结论应为“维持评价”或“撤销评价”",
            "The decision must be 'upheld' or 'removed'",
            status=422,
        )
    reason = _text(reason, "reason", "请填写复核理由", "Give the reason for the decision")
    engine = _engine()
    with transaction.atomic():
        item = (
            RatingAppeal.objects.select_for_update(of=("self",))
            .select_related("rating__case__service", "rating__case__applicant")
            .filter(pk=appeal_id)
            .first()
        )
        if item is None:
            raise not_found("appeal")
        if item.appellant_id == user.pk:
            raise forbidden("rating")  # nobody reviews their own appeal
        if item.status != RatingAppeal.Status.PENDING:
            raise Conflict(
                Problem("decision", "already_decided", "该申诉已复核", "This appeal has already been decided")
            )
        item.status, item.decided_by, item.decided_at, item.decision_reason = decision, user, timezone.now(), reason
        item.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        rating, case = item.rating, item.rating.case
        if decision == RatingAppeal.Status.REMOVED:
            rating.voided = True
            rating.save(update_fields=["voided"])
            for task in Task.objects.filter(
                pk__in=[rating.rectification_id, rating.escalation_id], status=Task.Status.OPEN
            ):
                engine._close_task(task, Task.Status.CANCELLED, user, "评价经复核撤销 rating removed on review")
            # Whoever counts ratings (the dashboard) stops counting this one.
            events.announce(
                "case.rating_removed",
                {"number": case.number, "level": rating.level, "at": timezone.now()},
                key=case.number,
            )
        audit.record(
            user,
            f"case.rating_{decision}",
            item,
            after={"case": case.number, "decision": decision, "reason": reason, "level": rating.level},
        )
        engine.notify(
            case,
            user=case.applicant,
            kind="rating_reviewed",
            zh=f"您对办件 {case.number} 的评价经申诉复核{'予以维持' if decision == 'upheld' else '已撤销'}：{reason}",
            en=f"Your rating of case {case.number} was {decision} on review: {reason}",
        )
        return item


def pending_appeals(user, limit: int = 200) -> list[RatingAppeal]:
    if not _is_admin(user):
        raise forbidden("rating")
    return list(
        RatingAppeal.objects.filter(status=RatingAppeal.Status.PENDING)
        .select_related("rating__case__service", "appellant")
        .order_by("created_at")[:limit]
    )


def get_appeal_for(user, appeal_id: int) -> RatingAppeal:
    if not _is_admin(user):
        raise not_found("appeal")
    item = (
        RatingAppeal.objects.select_related("rating__case__service", "appellant", "decided_by")
        .filter(pk=appeal_id)
        .first()
    )
    if item is None:
        raise not_found("appeal")
    return item


def counted_ratings():
    """Ratings that count (not removed on review): what the dashboard replays."""
    return Rating.objects.filter(voided=False).select_related("case__service")
