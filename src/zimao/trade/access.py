"""Who may do what in trade — 权限: exporters act for registered companies; the issuing bodies'
reviewers issue; customs authorises approved exporters; officials read everything."""

from __future__ import annotations

from zimao.catalog import services as catalog
from zimao.catalog.models import Officer
from zimao.trade.certificates.document import COMPETENT_AUTHORITY, ISSUING_BODIES
from zimao.trade.models import Certificate


def exporters_of(user) -> list:
    """The registered companies this user acts for (registry.entities_of)."""
    from zimao.registry.services import entities_of

    if not getattr(user, "is_authenticated", False):
        return []
    return list(entities_of(user))


def exporter_usccs(user) -> set[str]:
    return {e.uscc for e in exporters_of(user)}


def issuing_officer(user, body: str | None = None) -> Officer | None:
    """The user's officer record if they review for an issuing body (签证机构审核人员)."""
    officer = catalog.officer_of(user)
    if officer is None or officer.role != Officer.Role.REVIEWER:
        return None
    if officer.department.code not in ISSUING_BODIES:
        return None
    if body is not None and officer.department.code != body:
        return None
    return officer


def competent_officer(user) -> Officer | None:
    """A reviewer of the competent authority for approved exporters (customs, 海关)."""
    officer = catalog.officer_of(user)
    if officer and officer.role == Officer.Role.REVIEWER and officer.department.code == COMPETENT_AUTHORITY:
        return officer
    return None


def is_trade_official(user) -> bool:
    """Issuing bodies, the competent authority, zone administrators and staff read everything."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    officer = catalog.officer_of(user)
    return officer is not None and (
        officer.department.code in ISSUING_BODIES
        or officer.department.code == COMPETENT_AUTHORITY
        or officer.role == Officer.Role.ADMIN
    )


def can_view(user, cert: Certificate) -> bool:
    """The applicant, anyone acting for the exporter, and trade officials — 查看权限."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_trade_official(user) or cert.applicant_id == user.id:
        return True
    return cert.exporter_uscc in exporter_usccs(user)
