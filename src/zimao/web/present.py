"""Re-exports ``zimao.portal.present`` (moved there so that service apps need not import ``web``)."""

from zimao.portal.present import (  # noqa: F401
    ACTION_WORDS,
    DELIVERY_WORDS,
    RATING_LEVELS,
    STATUS_TAGS,
    TASK_KINDS,
    TASK_TAGS,
    TASK_WORDS,
    action_word,
    bi,
    is_en,
    overdue,
    problem_message,
    status_tag,
    status_word,
)
