"""How the pages present engine data: the reader's language for bilingual catalogue text, plain
status words, and the bilingual problems a service raises, mapped to the field they name.

Catalogue data carries both languages (``name_zh``/``name_en``, choices ``[value, zh, en]``,
``(zh, en)`` tuples); template text goes through Django's i18n. ``is_en`` is the one switch.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import get_language

from zimao.cases.workflow import STATUS_WORDS


def is_en() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def bi(obj, stem: str = ""):
    """The reader's language of a bilingual value.

    ``bi(service, "name")`` → ``service.name_zh`` or ``service.name_en``; ``bi({"zh":…, "en":…})``;
    ``bi(["value", "中文", "English"])`` (a choice); ``bi(("中文", "English"))``.
    """
    en = is_en()
    if obj is None:
        return ""
    if isinstance(obj, (list, tuple)):
        if len(obj) >= 3:
            return obj[2] if en else obj[1]
        if len(obj) == 2:
            return obj[1] if en else obj[0]
        return obj[0] if obj else ""
    if isinstance(obj, str):
        return obj
    zh_key = f"{stem}_zh" if stem else "zh"
    en_key = f"{stem}_en" if stem else "en"
    if isinstance(obj, dict):
        return (obj.get(en_key) if en else obj.get(zh_key)) or obj.get(zh_key) or obj.get(en_key) or ""
    return (getattr(obj, en_key, "") if en else getattr(obj, zh_key, "")) or getattr(obj, zh_key, "") or ""


def status_word(status: str) -> str:
    words = STATUS_WORDS.get(status)
    return bi(words) if words else status


# The status words speak to the applicant ("需要您补正材料 / We need you to correct your
# application"); an officer reading the same case needs them in the third person.
OFFICER_STATUS_WORDS = {"suspended": ("等待申请人补正", "Waiting for the applicant's corrections")}


def officer_status_word(status: str) -> str:
    """A case's status as an officer reads it (on the task page, at the counter)."""
    words = OFFICER_STATUS_WORDS.get(status)
    return bi(words) if words else status_word(status)


def enumerate_words(values) -> str:
    """A list in the reader's language: 顿号 between Chinese items, a comma between English ones."""
    return (", " if is_en() else "、").join(str(v) for v in values or ())


def aside(value) -> str:
    """A short aside after a name (a code, a number): full-width brackets in Chinese, a space and
    ASCII brackets in English."""
    return f" ({value})" if is_en() else f"（{value}）"


# The tag colour a status deserves: green when done, orange when the applicant must act,
# red when the answer is no, grey for the rest.
STATUS_TAGS = {
    "delivered": "ok",
    "issued": "ok",
    "approved": "ok",
    "suspended": "warn",
    "rejected": "bad",
    "refused": "bad",
    "withdrawn": "muted",
}


def status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "info")


TASK_WORDS = {
    "open": ("办理中", "In progress"),
    "approved": ("已通过", "Approved"),
    "refused": ("未通过", "Refused"),
    "correction": ("等待补正", "Waiting for corrections"),
    "cancelled": ("已取消", "Cancelled"),
    "done": ("已完成", "Done"),
}
TASK_TAGS = {
    "open": "info",
    "approved": "ok",
    "done": "ok",
    "refused": "bad",
    "correction": "warn",
    "cancelled": "muted",
}

TASK_KINDS = {
    "intake": ("受理", "Intake"),
    "review": ("审核", "Review"),
    "rectification": ("差评整改", "Rectification"),
}

DELIVERY_WORDS = {
    "electronic": ("电子证照（在线领取）", "Electronic licence (online)"),
    "window": ("窗口领取", "Collect at the window"),
    "mail": ("免费邮寄", "Free mail delivery"),
}

# 好差评 (GB/T 39734-2020), best first as a form lists them.
RATING_LEVELS = [
    (5, "非常满意", "Very satisfied"),
    (4, "满意", "Satisfied"),
    (3, "基本满意", "Basically satisfied"),
    (2, "不满意", "Dissatisfied"),
    (1, "非常不满意", "Very dissatisfied"),
]

# What the case history shows for the audit actions a case goes through.
ACTION_WORDS = {
    "case.submitted": ("提交申请", "Application submitted"),
    "case.accepted": ("已受理", "Accepted"),
    "case.accepted.auto": ("材料齐全，自动受理", "Accepted automatically (materials complete)"),
    "case.in_review": ("进入审核", "Review started"),
    "case.approved": ("审核通过", "Approved"),
    "case.issued": ("已出证", "Licence issued"),
    "case.delivered": ("已送达", "Delivered"),
    "case.delivered.electronic": ("电子证照已发放", "Electronic licence delivered"),
    "case.delivered.window": ("已在窗口领取", "Collected at the window"),
    "case.delivered.mail": ("已邮寄", "Mailed"),
    "case.rejected": ("不予受理", "Not accepted"),
    "case.refused": ("不予许可", "Refused"),
    "case.withdrawn": ("申请人撤回", "Withdrawn by the applicant"),
    "case.correction_requested": ("要求补正", "Corrections requested"),
    "case.corrected": ("申请人已补正", "Corrections answered"),
    "case.extended": ("延长期限", "Time limit extended"),
    "case.rated": ("申请人评价", "Rated by the applicant"),
    "case.rating_follow_up": ("整改回访", "Follow-up answer after rectification"),
    "case.overdue": ("超过承诺时限", "Past the promised date"),
    "case.output_added": ("出具后续证照", "Follow-up result issued"),
    "task.approved": ("本环节审核通过", "Step approved"),
    "task.refused": ("本环节不予通过", "Step refused"),
}


def action_word(action: str) -> str:
    words = ACTION_WORDS.get(action)
    return bi(words) if words else action


def overdue(due_date, status: str = "open") -> bool:
    return status == "open" and due_date is not None and due_date < timezone.localdate()


def problem_message(problem) -> str:
    return problem.en if is_en() else problem.zh
