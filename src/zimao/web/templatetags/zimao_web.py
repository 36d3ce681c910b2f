"""Template filters for bilingual data: ``{{ service|bi:"name" }}``, ``{{ case.status|status_word }}``."""

from django import template

from zimao.portal import present

register = template.Library()


@register.filter
def bi(obj, stem=""):
    return present.bi(obj, stem)


@register.filter
def words(values):
    """``{{ reasons|words }}``: a list joined the reader's way (、 in Chinese, ", " in English)."""
    return present.enumerate_words(values)


@register.simple_tag
def separator():
    """``{% if not forloop.last %}{% separator %}{% endif %}``: 、 between Chinese items, ", " in English."""
    return present.enumerate_words(["", ""])


@register.filter
def aside(value):
    """``{{ s|bi:"name" }}{{ s.code|aside }}``: （code） in Chinese, " (code)" in English."""
    return present.aside(value)


@register.filter
def status_word(status):
    return present.status_word(status)


@register.filter
def officer_status_word(status):
    return present.officer_status_word(status)


@register.filter
def status_tag(status):
    return present.status_tag(status)


@register.filter
def task_word(status):
    return present.bi(present.TASK_WORDS.get(status, (status, status)))


@register.filter
def task_tag(status):
    return present.TASK_TAGS.get(status, "info")


@register.filter
def task_kind(kind):
    return present.bi(present.TASK_KINDS.get(kind, (kind, kind)))


@register.filter
def delivery_word(method):
    return present.bi(present.DELIVERY_WORDS.get(method, (method, method)))


@register.filter
def action_word(action):
    return present.action_word(action)


@register.filter
def is_overdue(task):
    return present.overdue(getattr(task, "due_date", None), getattr(task, "status", "open"))


@register.filter
def days_label(days):
    """A time limit in working days; 0 means the same day (当日办结)."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    try:
        days = int(days)
    except (TypeError, ValueError):
        return days
    if days == 0:
        return _("the same day")
    return ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days}


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
