"""Re-exports ``zimao.portal.pages`` (moved there so that service apps need not import ``web``)."""

from zimao.portal.pages import (  # noqa: F401
    dom_id,
    error_list,
    field_errors,
    forbidden,
    login_required,
    not_found,
    officer_required,
    page,
    read_upload,
    safe_next,
)
