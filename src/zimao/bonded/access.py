"""Who plays which part in the bonded zone — 角色.

- the enterprise's operator (录入员/关务): a user named among a ``BondedEnterprise``'s operators;
  sees and declares on that enterprise's books only;
- the customs officer (主管海关): the ``bonded_customs`` group; reviews lists, sees every book,
  the discrepancies and the reconciliations;
- the gate keeper (卡口): the ``bonded_gate`` group; scans release notes and records passes,
  sees the note's header and lines only, never prices or the books.
"""

from __future__ import annotations

CUSTOMS_GROUP = "bonded_customs"
GATE_GROUP = "bonded_gate"


def _in_group(user, name: str) -> bool:
    return bool(user and user.is_authenticated and user.groups.filter(name=name).exists())


def is_customs(user) -> bool:
    return _in_group(user, CUSTOMS_GROUP)


def is_gate(user) -> bool:
    return _in_group(user, GATE_GROUP)


def is_operator(user) -> bool:
    return bool(user and user.is_authenticated and user.bonded_enterprises.exists())


def role_of(user) -> str:
    if is_customs(user):
        return "customs"
    if is_gate(user):
        return "gate"
    if is_operator(user):
        return "operator"
    return ""
