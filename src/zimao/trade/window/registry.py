"""Agency adapters — 部门接口适配器: the contract and the registry (as Open Forms'
``plugins/registry.py``: one registry class, back ends registered by key).

An adapter transports one agency's message and reads its answer. It never touches the database:
the outbox (``AgencySubmission``) is the single window's, and an adapter only says what the
agency said. An agency that cannot be reached raises ``AgencyUnavailable``; the single window
then retries with backoff, so nothing is lost.

Which adapter serves which agency is configuration: the Django setting
``ZIMAO_TRADE_ADAPTERS = {"customs": "sandbox", ...}`` (default: the sandbox for every agency,
since no real agency endpoint is reachable from here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings


class AgencyUnavailable(Exception):
    """The agency could not be reached or did not answer in time — 部门系统暂时无法连接 (retry later)."""


@dataclass(frozen=True)
class Dispatch:
    """One call to an agency: the message and what the outbox knows of it."""

    agency: str
    message_id: str  # the idempotency key the agency sees: the same message never counts twice
    declaration_number: str
    payload: dict
    attempt: int  # 1 for the first call of this outbox row, then 2, 3, …
    now: dt.datetime
    reference: str = ""  # the agency's reference, once it acknowledged
    sent_at: dt.datetime | None = None


@dataclass(frozen=True)
class Answer:
    """The agency's decision — 部门答复."""

    accepted: bool
    reference: str = ""
    message_zh: str = ""
    message_en: str = ""
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """The agency acknowledged the message — 已接收; its answer comes now or later."""

    reference: str
    answer: Answer | None = None
    answer_after: dt.datetime | None = None  # when to ask again


@dataclass(frozen=True)
class Pending:
    """No answer yet — 尚未答复; ask again at ``retry_after``."""

    retry_after: dt.datetime | None = None


class AgencyAdapter:
    """Base class. ``send`` delivers the message; ``poll`` asks for the answer."""

    key = ""
    label_zh = ""
    label_en = ""

    def send(self, dispatch: Dispatch) -> Receipt:  # pragma: no cover - interface
        raise NotImplementedError

    def poll(self, dispatch: Dispatch) -> Answer | Pending:  # pragma: no cover - interface
        raise NotImplementedError


class AdapterRegistry:
    """Adapters by key — 适配器注册表."""

    def __init__(self):
        self._adapters: dict[str, type[AgencyAdapter]] = {}

    def register(self, key: str, label_zh: str = "", label_en: str = ""):
        def decorator(cls: type[AgencyAdapter]):
            if key in self._adapters and self._adapters[key] is not cls:
                raise ValueError(f"agency adapter {key!r} registered twice")
            cls.key, cls.label_zh, cls.label_en = key, label_zh or key, label_en or key
            self._adapters[key] = cls
            return cls

        return decorator

    def __contains__(self, key: str) -> bool:
        return key in self._adapters

    def __iter__(self):
        return iter(sorted(self._adapters))

    def get(self, key: str) -> AgencyAdapter:
        try:
            return self._adapters[key]()
        except KeyError:
            raise KeyError(f"no agency adapter registered as {key!r}; known: {sorted(self._adapters)}") from None

    def key_for(self, agency: str) -> str:
        """The adapter configured for ``agency`` (setting ``ZIMAO_TRADE_ADAPTERS``), default the sandbox."""
        return (getattr(settings, "ZIMAO_TRADE_ADAPTERS", None) or {}).get(agency, "sandbox")


registry = AdapterRegistry()
