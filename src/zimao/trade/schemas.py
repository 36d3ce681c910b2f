"""What every trade API operation shares — 公共定义: its tag, the errors it declares, the
patterns of money and dates, and strict input schemas."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict

from zimao.core.errors import COMMON_ERRORS, ErrorOut

TAGS = ["trade"]
ERRORS = {**COMMON_ERRORS, 409: ErrorOut}
# Public operations take no credentials: the only refusals are a malformed request.
PUBLIC_ERRORS = {400: ErrorOut, 422: ErrorOut}

DECIMAL = r"^\d{1,15}(\.\d{1,6})?$"
DATE = r"^\d{4}-\d{2}-\d{2}$"


class Strict(Schema):
    """Unknown fields are refused: a misspelt key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


def plain(value):
    """Schemas → the plain dicts the services read (None where a block is absent)."""
    if value is None:
        return None
    return value.model_dump() if hasattr(value, "model_dump") else value
