"""Public verification — 公开核验 (Art. 3.17.7) of certificates and declarations of origin, and
the statistics the dashboard reads — 统计."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from zimao.core import signing
from zimao.trade.certificates import document as docs
from zimao.trade.certificates.document import country_zh
from zimao.trade.models import Certificate, OriginDeclaration, TrueCopy
from zimao.trade.origin import PARTIES

S = Certificate.Status

# ---------------------------------------------------------------------------------------------
# Verification — 公开核验 (Art. 3.17.7)

VERIFY_LABELS = {
    "valid": ("真实有效", "Genuine and valid", "ok"),
    "expired": ("已过有效期", "Genuine, but expired", "warn"),
    "invalidated": ("已作废", "Invalidated by the issuing body", "bad"),
    "withdrawn": ("已撤回", "Withdrawn by the exporter", "bad"),
    "not_genuine": ("无法核验", "Not genuine", "bad"),
}


@dataclass
class Verification:
    """Is this proof of origin genuine and valid? — 核验结果."""

    number: str
    format_ok: bool = False
    kind: str = ""  # "certificate" | "declaration"
    certificate: Certificate | None = None
    declaration: OriginDeclaration | None = None
    signature_reason: str | None = None
    status: str = "not_genuine"
    true_copies: list = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.certificate is not None or self.declaration is not None

    @property
    def genuine(self) -> bool:
        return self.found and self.signature_reason is None

    @property
    def reason(self) -> str | None:
        if not self.format_ok:
            return "invalid_number"
        if not self.found:
            return "unknown"
        if self.signature_reason:
            return "signature"
        return None

    @property
    def label(self) -> dict:
        zh, en, tag = VERIFY_LABELS[self.status]
        return {"status": self.status, "label_zh": zh, "label_en": en, "tag": tag}

    def facts(self) -> dict:
        """What Art. 3.17.7 says the Parties must be able to see: number, HS codes, descriptions,
        quantities, date of issue, exporter — and the validity and flags. Nothing commercial more."""
        if not self.genuine:
            return {}
        if self.certificate is not None:
            c = self.certificate.content
            return {
                "kind": "certificate",
                "number": self.certificate.number,
                "issued_on": c["issued_on"],
                "valid_until": c["valid_until"],
                "exporter": c["exporter"]["name"],
                "exporter_country": c["exporter"]["country"],
                "importing_country": c["importer"]["country"],
                "issuing_body": c["certification"]["issuing_body_name"],
                "goods": [
                    {
                        "item": g["item"],
                        "hs": g["hs"],
                        "description": g["description"],
                        "quantity": g["quantity"],
                        "unit": g["unit"],
                        "criterion": g["criterion"],
                        "rcep_country": g["rcep_country"],
                    }
                    for g in c["goods"]
                ],
                "issued_retroactively": c["flags"]["issued_retroactively"],
                "back_to_back": c["flags"]["back_to_back"],
                "true_copies": [t.issued_at for t in self.true_copies],
            }
        c = self.declaration.content
        return {
            "kind": "declaration",
            "number": self.declaration.reference,
            "issued_on": c["completed_on"],
            "valid_until": self.declaration.valid_until.isoformat(),
            "exporter": c["exporter"]["name"],
            "exporter_country": c["exporter"]["country"],
            "importing_country": c["importer"]["country"],
            "authorisation_code": c["authorisation_code"],
            "issuing_body": "",
            "goods": [
                {
                    "item": g["item"],
                    "hs": g["hs"],
                    "description": g["description"],
                    "quantity": g["quantity"],
                    "unit": g["unit"],
                    "criterion": g["criterion"],
                    "rcep_country": g["rcep_country"],
                }
                for g in c["goods"]
            ],
            "issued_retroactively": False,
            "back_to_back": False,
            "true_copies": [],
        }


def _credential_revoked(cert: Certificate) -> bool:
    """A certificate issued through the case engine is a credential in the licence store: its
    revocation there is the certificate's invalidation (Art. 3.17.5(a)), seen at once."""
    if not cert.credential_identifier:
        return False
    from zimao.licences import services as licences

    return licences.get_credential(cert.credential_identifier).status == "revoked"


def verify(number: str, *, today: dt.date | None = None) -> Verification:
    """Verify a certificate number or declaration reference — 核验原产地证明: check character,
    presence, signature against the stored content, then validity and status."""
    number = (number or "").strip().upper()
    today = today or timezone.localdate()
    result = Verification(number=number, format_ok=docs.number_well_formed(number))
    if not result.format_ok:
        return result
    cert = Certificate.objects.filter(number=number).first()
    if cert is not None:
        result.kind, result.certificate = "certificate", cert
        result.signature_reason = signing.content_problem(cert.jws, docs.certificate_payload(cert))
        if result.signature_reason:
            return result
        result.true_copies = [
            t
            for t in cert.true_copies.filter(status=TrueCopy.Status.ISSUED).order_by("issued_at")
            if signing.content_problem(t.jws, docs.true_copy_payload(t)) is None
        ]
        if cert.status == S.INVALIDATED or _credential_revoked(cert):
            result.status = "invalidated"
        elif cert.valid_until < today:
            result.status = "expired"
        else:
            result.status = "valid"
        return result
    dec = OriginDeclaration.objects.select_related("exporter").filter(reference=number).first()
    if dec is not None:
        result.kind, result.declaration = "declaration", dec
        result.signature_reason = signing.content_problem(dec.jws, docs.declaration_payload(dec))
        if result.signature_reason:
            return result
        if dec.status == OriginDeclaration.Status.WITHDRAWN:
            result.status = "withdrawn"
        elif dec.valid_until < today:
            result.status = "expired"
        else:
            result.status = "valid"
    return result


# ---------------------------------------------------------------------------------------------
# Statistics — 统计 (for the dashboard)


def certificate_statistics(start: dt.date, end: dt.date, *, period: str = "month") -> list[dict]:
    """Certificates issued and their FOB value by destination and period — 按目的国和期间统计.

    Rows ``{"period", "country", "country_en", "country_zh", "certificates", "fob_cny", "fob"}``
    for certificates issued from ``start`` to ``end`` inclusive (local dates), ``period`` being
    ``"month"`` (``2026-11``), ``"quarter"`` (``2026-Q4``) or ``"year"`` (``2026``); ``fob`` is
    the FOB total per currency, ``fob_cny`` the sum in yuan at each month's customs rate.
    Invalidated certificates are not counted (a corrected certificate replaces them).
    """
    if period not in ("month", "quarter", "year"):
        raise ValueError("period must be month, quarter or year")
    qs = Certificate.objects.filter(status=S.ISSUED, issued_on__gte=start, issued_on__lte=end).values_list(
        "issued_on", "importing_country", "currency", "fob_total", "fob_cny"
    )
    groups: dict[tuple[str, str], dict] = {}
    for issued_on, country, currency, fob, fob_cny in qs.iterator():
        if period == "month":
            key = f"{issued_on:%Y-%m}"
        elif period == "quarter":
            key = f"{issued_on.year}-Q{(issued_on.month - 1) // 3 + 1}"
        else:
            key = f"{issued_on.year}"
        row = groups.setdefault(
            (key, country),
            {
                "period": key,
                "country": country,
                "country_en": PARTIES.get(country, (country, country))[0],
                "country_zh": country_zh(country),
                "certificates": 0,
                "fob_cny": Decimal(0),
                "fob": defaultdict(Decimal),
            },
        )
        row["certificates"] += 1
        row["fob_cny"] += fob_cny or Decimal(0)
        row["fob"][currency] += fob
    out = []
    for key in sorted(groups):
        row = groups[key]
        row["fob_cny"] = str(row["fob_cny"].quantize(Decimal("0.01")))
        row["fob"] = {c: str(v.quantize(Decimal("0.01"))) for c, v in sorted(row["fob"].items())}
        out.append(row)
    return out
