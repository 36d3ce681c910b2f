"""Proofs of origin — 原产地证明服务 (RCEP Chapter 3 Section B): the trade app's service functions
in one place for its callers, each implemented in its sub-area:

* who may do what — ``zimao.trade.access``;
* input checking — ``zimao.trade.validation``;
* origin checks — 原产地预判: ``zimao.trade.checks``;
* certificates of origin, back-to-back certificates, exchange rates, certified true copies —
  ``zimao.trade.certificates.services``; the Form RCEP document, numbers and PDF —
  ``zimao.trade.certificates.document``; public verification and statistics —
  ``zimao.trade.certificates.verification``;
* approved exporters and declarations of origin — ``zimao.trade.exporters.services``;
* the trade single window — ``zimao.trade.window``;
* the origin engine — ``zimao.trade.origin``.
"""

from zimao.trade.access import can_view, competent_officer, exporters_of, is_trade_official, issuing_officer
from zimao.trade.certificates.rates import rate_for, set_rate
from zimao.trade.certificates.services import (
    PROMISED_WORKING_DAYS,
    STATUS_WORDS,
    apply,
    certificates_for,
    get_certificate,
    invalidate,
    issue,
    monitor_events,
    refuse,
    review_queue,
    tell_monitor,
    true_copies_queue,
    withdraw,
)
from zimao.trade.certificates.true_copies import issue_true_copy, refuse_true_copy, request_true_copy
from zimao.trade.certificates.verification import VERIFY_LABELS, Verification, certificate_statistics, verify
from zimao.trade.checks import check_origin, checks_of, get_check
from zimao.trade.exporters.services import (
    approved_exporter_for,
    authorise_exporter,
    complete_declaration,
    declarations_for,
    set_exporter_status,
)
from zimao.trade.validation import clean_application

__all__ = [
    "PROMISED_WORKING_DAYS",
    "STATUS_WORDS",
    "VERIFY_LABELS",
    "Verification",
    "apply",
    "approved_exporter_for",
    "authorise_exporter",
    "can_view",
    "certificate_statistics",
    "certificates_for",
    "check_origin",
    "checks_of",
    "clean_application",
    "competent_officer",
    "complete_declaration",
    "declarations_for",
    "exporters_of",
    "get_certificate",
    "get_check",
    "invalidate",
    "is_trade_official",
    "issue",
    "issue_true_copy",
    "issuing_officer",
    "monitor_events",
    "rate_for",
    "refuse",
    "refuse_true_copy",
    "request_true_copy",
    "review_queue",
    "set_exporter_status",
    "set_rate",
    "tell_monitor",
    "true_copies_queue",
    "verify",
    "withdraw",
]
