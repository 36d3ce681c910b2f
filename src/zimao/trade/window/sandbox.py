"""The sandbox agency — 模拟部门接口: behaves like a real agency endpoint, deterministically.

Real agency systems (customs, commerce, tax) cannot be reached from here, so the demo and the
tests talk to this adapter. It acknowledges a message with a reference, answers after a delay,
sometimes refuses, and is sometimes down — every one of these decided by a seeded hash of the
agency, the message and the attempt, so a given seed always plays out the same way.

Configuration (Django setting ``ZIMAO_TRADE_SANDBOX``, all optional)::

    {"seed": 2026,
     "default": {"outage_rate": 0.15, "reject_rate": 0.1, "min_delay": 2, "max_delay": 20, "fail_first": 0},
     "customs": {"fail_first": 2},          # per agency: the first 2 calls find it down
     "tax": {"reject_rate": 1}}             # per agency: always refuses

The sandbox keeps no state: whether an answer is ready follows from when the message was sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, fields

from django.conf import settings

from zimao.trade.window.registry import AgencyAdapter, AgencyUnavailable, Answer, Dispatch, Pending, Receipt, registry

# Why each agency may refuse — 退回原因 (zh, en).
REJECTIONS = {
    "customs": [
        (
            "申报商品编码与品名不符，请核对后重新申报",
            "The HS code does not match the description of the goods; check and declare again",
        ),
        ("随附单证不全（缺少装箱单）", "Supporting documents are incomplete (the packing list is missing)"),
    ],
    "commerce": [
        ("该商品出口须申领出口许可证", "These goods need an export licence"),
        (
            "对外贸易经营者备案信息与申报企业不一致",
            "The foreign-trade operator record does not match the declaring company",
        ),
    ],
    "tax": [
        ("发票信息与申报数据不一致", "The invoice does not match the declared values"),
        ("出口退（免）税备案信息不完整", "The export tax rebate registration is incomplete"),
    ],
}
ACCEPTANCES = {
    "customs": ("海关已接受申报，准予放行", "Customs accepted the declaration; the goods may be released"),
    "commerce": ("商务部门核查通过", "Commerce checked and accepted the declaration"),
    "tax": ("税务部门已受理出口退（免）税申报", "Taxation accepted the export tax rebate filing"),
}
PREFIX = {"customs": "H", "commerce": "C", "tax": "T"}


@dataclass(frozen=True)
class Profile:
    outage_rate: float = 0.15
    reject_rate: float = 0.1
    min_delay: int = 2  # seconds from acknowledgement to answer
    max_delay: int = 20
    fail_first: int = 0  # the first n calls of every message find the agency down


def _config() -> dict:
    return getattr(settings, "ZIMAO_TRADE_SANDBOX", None) or {}


def profile_for(agency: str) -> Profile:
    conf = _config()
    names = {f.name for f in fields(Profile)}
    values = {k: v for k, v in (conf.get("default") or {}).items() if k in names}
    values.update({k: v for k, v in (conf.get(agency) or {}).items() if k in names})
    return Profile(**values)


def _rng(*parts) -> random.Random:
    seed = _config().get("seed", 2026)
    # A string seed is hashed with SHA-512 by random.Random: the same on every run and machine.
    return random.Random("|".join(str(p) for p in (seed, *parts)))


@registry.register("sandbox", "模拟部门接口", "Sandbox agency")
class SandboxAgency(AgencyAdapter):
    """Delayed answers, rejections and outages, reproducible under ``seed``."""

    def _maybe_down(self, d: Dispatch, profile: Profile) -> None:
        if (
            d.attempt <= profile.fail_first
            or _rng(d.agency, d.message_id, "down", d.attempt).random() < profile.outage_rate
        ):
            raise AgencyUnavailable(f"sandbox {d.agency}: service unavailable (attempt {d.attempt})")

    def _delay(self, d: Dispatch, profile: Profile) -> int:
        low, high = sorted((int(profile.min_delay), int(profile.max_delay)))
        return _rng(d.agency, d.message_id, "delay").randint(low, high)

    def send(self, d: Dispatch) -> Receipt:
        profile = profile_for(d.agency)
        self._maybe_down(d, profile)
        digest = hashlib.sha256(f"{d.agency}|{d.message_id}".encode()).hexdigest()
        reference = f"{PREFIX.get(d.agency, 'X')}{int(digest[:15], 16) % 10**15:015d}"
        delay = self._delay(d, profile)
        if delay <= 0:
            return Receipt(reference=reference, answer=self._answer(d, reference, profile))
        return Receipt(reference=reference, answer_after=d.now + dt.timedelta(seconds=delay))

    def poll(self, d: Dispatch) -> Answer | Pending:
        profile = profile_for(d.agency)
        self._maybe_down(d, profile)
        ready = (d.sent_at or d.now) + dt.timedelta(seconds=self._delay(d, profile))
        if d.now < ready:
            return Pending(retry_after=ready)
        return self._answer(d, d.reference, profile)

    def _answer(self, d: Dispatch, reference: str, profile: Profile) -> Answer:
        rng = _rng(d.agency, d.message_id, "decision")
        if rng.random() < profile.reject_rate:
            zh, en = rng.choice(REJECTIONS.get(d.agency, [("申报被退回", "The declaration was rejected")]))
            return Answer(accepted=False, reference=reference, message_zh=zh, message_en=en)
        zh, en = ACCEPTANCES.get(d.agency, ("已通过", "Accepted"))
        return Answer(accepted=True, reference=reference, message_zh=zh, message_en=en)
