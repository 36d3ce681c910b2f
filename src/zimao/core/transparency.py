"""Published audit checkpoints and proofs (审计透明日志) — public by design, like CT logs.

Everything here is hashes and signatures: a signed tree head says "the zone's audit log had N
events hashing to R", an inclusion proof shows one event (named by its chain hash, which only
someone who holds the event can know) is in it, a consistency proof shows a later head only
appended to an earlier one. Keys to check the signatures: ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import re

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from zimao.core import audit, merkle
from zimao.core.errors import BusinessError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _problem(field: str, code: str, zh: str, en: str, status: int = 400) -> JsonResponse:
    """The API's one error shape (``zimao.core.errors``), for these plain views."""
    return JsonResponse(
        BusinessError.of(field, code, zh, en).as_dict(), status=status, json_dumps_params={"ensure_ascii": False}
    )


def _size(request, name: str, required: bool):
    raw = request.GET.get(name, "")
    if raw == "" and not required:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValueError(name)
    return int(raw)


@require_GET
def checkpoints(request):
    """Signed tree heads, oldest first; ``?after=<tree_size>`` pages on."""
    try:
        after = _size(request, "after", False) or 0
    except ValueError:
        return _problem(
            "after", "invalid", "after 须为非负整数（树大小）", "after must be a non-negative integer (a tree size)"
        )
    return JsonResponse(
        {
            "origin": audit.origin(),
            "type": audit.CHECKPOINT_TYPE,
            "keys": "/.well-known/jwks.json",
            "hashing": "RFC 9162: leaf = SHA-256(0x00 || event hash bytes), node = SHA-256(0x01 || left || right)",
            "checkpoints": audit.published(after=after),
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def inclusion_proof(request):
    """``?hash=<event hash>&tree_size=<n>`` (tree_size optional: the newest checkpoint)."""
    event_hash = request.GET.get("hash", "").lower()
    if not _HEX64.match(event_hash):
        return _problem(
            "hash", "invalid", "hash 须为64位十六进制的审计事件哈希", "hash must be an audit event's 64-digit hex hash"
        )
    try:
        tree_size = _size(request, "tree_size", False)
    except ValueError:
        return _problem("tree_size", "invalid", "tree_size 须为正整数", "tree_size must be a positive integer")
    try:
        return JsonResponse(audit.inclusion(event_hash, tree_size))
    except LookupError as exc:
        return _problem(
            "hash",
            "not_found",
            "该事件不在此检查点中（或尚未进入检查点）",
            f"the event is not in that checkpoint (or not checkpointed yet): {exc}",
            status=404,
        )


@require_GET
def consistency_proof(request):
    """``?first=<n>&second=<m>``: both sizes of published checkpoints, first ≤ second."""
    try:
        first, second = _size(request, "first", True), _size(request, "second", True)
    except ValueError as exc:
        return _problem(
            str(exc),
            "invalid",
            f"{exc} 须为已发布检查点的树大小",
            f"{exc} must be the tree size of a published checkpoint",
        )
    if first > second:
        return _problem("first", "invalid", "first 不能大于 second", "first must not be larger than second")
    try:
        return JsonResponse(audit.consistency(first, second))
    except (LookupError, merkle.ProofError) as exc:
        return _problem("second", "not_found", "没有该大小的检查点", f"no checkpoint of that size: {exc}", status=404)
