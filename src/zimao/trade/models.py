"""International trade — 国际贸易: RCEP proofs of origin and the trade single window.

Two areas share this app:

* **Proofs of origin — 原产地证明** (RCEP Chapter 3 Section B): saved origin checks
  (``OriginCheck``), applications that become certificates of origin (``Certificate``), certified
  true copies (``TrueCopy``), the original proofs that back-to-back certificates draw on
  (``OriginalProof`` + ``BackToBackDraw``), approved exporters (``ApprovedExporter``) and their
  declarations of origin (``OriginDeclaration``), and the exchange rates that turn FOB values into
  yuan for the zone's statistics (``ExchangeRate``).
* **The trade single window — 国际贸易"单一窗口"**: one declaration by a trader
  (``TradeDeclaration``) fanned out to the agencies, one outbox row per agency
  (``AgencySubmission``) so an agency that is down delays an answer but never loses a message.

What is signed (the certificate's content) is stored exactly as signed in ``content``; the row's
other columns are indexes for lists and statistics and are compared with the signed payload at
verification, so editing a row turns the certificate "not genuine" instead of silently changing
what the public sees (the same trust model as ``zimao.licences``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OriginCheck(models.Model):
    """A saved origin determination — 原产地预判记录: the bill of materials and the engine's answer.

    An exporter checks a product first; an originating check can then be attached to a
    certificate application (the application re-runs the engine on the same bill, so the check is
    a convenience, never the evidence).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="origin_checks")
    description = models.CharField(_("description of the good"), max_length=300, blank=True)
    hs = models.CharField(_("HS code"), max_length=6)
    hs_version = models.CharField(max_length=8)
    bom = models.JSONField(help_text="the bill of materials as given (docs/origin.md)")
    result = models.JSONField(help_text="OriginResult.as_dict() plus the RCEP country of origin (Art. 2.6)")
    originating = models.BooleanField()
    criterion = models.CharField(max_length=40, blank=True)
    rcep_country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("origin check")

    def __str__(self):
        return f"#{self.pk} {self.hs} {'originating' if self.originating else 'not originating'}"


class Certificate(models.Model):
    """A certificate of origin — 原产地证书 (Art. 3.17), from application to issue.

    The exporter's application (``data``) is kept as submitted; on issue the Form RCEP content
    (Annex 3B minimum information) is fixed in ``content`` and signed (``jws``). ``number`` is
    given only on issue and never reused.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")  # 已申请，待签证
        ISSUED = "issued", pgettext_lazy("certificate", "issued")  # 已签发
        REFUSED = "refused", pgettext_lazy("certificate", "refused")  # 不予签发
        WITHDRAWN = "withdrawn", _("withdrawn")  # 已撤回
        INVALIDATED = "invalidated", _("invalidated")  # 已作废 (Art. 3.17.5(a))

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("certificate of origin")  # 原产地证书
        BACK_TO_BACK = "back_to_back", _("back-to-back certificate")  # 背对背原产地证书 (Art. 3.19)

    reference = models.CharField(_("application reference"), max_length=40, unique=True)
    number = models.CharField(_("certificate number"), max_length=40, null=True, blank=True, unique=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.ORIGINAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coo_applications")
    exporter_uscc = models.CharField(max_length=18, db_index=True)
    exporter_name = models.CharField(max_length=200)
    issuing_body = models.CharField(max_length=32, help_text="catalogue department code (CCPIT, CUSTOMS)")
    importing_country = models.CharField(max_length=2, db_index=True)
    currency = models.CharField(max_length=3)
    fob_total = models.DecimalField(max_digits=18, decimal_places=2)
    fob_cny = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="FOB in yuan at the customs rate of the month of issue",
    )
    cny_rate = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    departure_date = models.DateField()
    data = models.JSONField(help_text="the application as submitted, with the engine's determinations")
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, default="", help_text="SHA-256 of the request that carried the idempotency key"
    )
    submitted_at = models.DateTimeField()
    due_date = models.DateField(null=True, blank=True, help_text="promised date of decision (working days)")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="coo_decisions"
    )
    refusal_reason = models.TextField(blank=True)
    # Fixed on issue — 签发时确定
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    issued_on = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True, help_text="inclusive (Art. 3.16: one year)")
    retroactive = models.BooleanField(default=False, help_text='"ISSUED RETROACTIVELY" (Art. 3.17.8)')
    content = models.JSONField(null=True, blank=True, help_text="Form RCEP content exactly as signed")
    jws = models.TextField(blank=True)
    kid = models.CharField(max_length=64, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidation_reason = models.TextField(blank=True)
    # When applied for through the case engine (catalogue service RCEP-CO): the case, and the
    # credential in the licence store whose revocation invalidates the certificate.
    case_number = models.CharField(max_length=40, blank=True, default="", db_index=True)
    credential_identifier = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("certificate of origin")
        verbose_name_plural = _("certificates of origin")
        indexes = [models.Index(fields=["issuing_body", "status", "submitted_at"])]
        constraints = [
            # One application per idempotency key and applicant: a double click applies once.
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="trade_coo_one_per_idempotency_key",
            ),
        ]

    def __str__(self):
        return self.number or self.reference


class TrueCopy(models.Model):
    """A certified true copy — 经核准的原产地证书副本 (Art. 3.17.9): same number and date as the
    original, endorsed "CERTIFIED TRUE COPY", issued within a year of the original."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ISSUED = "issued", pgettext_lazy("certificate", "issued")
        REFUSED = "refused", pgettext_lazy("certificate", "refused")

    reference = models.CharField(max_length=40, unique=True)
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="true_copies")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(help_text="theft, loss or destruction of the original")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.TextField(blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    jws = models.TextField(blank=True)
    kid = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("certified true copy")
        verbose_name_plural = _("certified true copies")


class OriginalProof(models.Model):
    """An original proof of origin of another Party presented for a back-to-back certificate —
    原始原产地证明 (Art. 3.19.1(a)). One row per goods item of that proof, so every partial
    re-export draws on the same quantity (Art. 3.19.1(e))."""

    country = models.CharField(max_length=2, help_text="first exporting Party")
    reference = models.CharField(max_length=60, help_text="the original proof's number")
    item = models.PositiveIntegerField(default=1)
    issued_on = models.DateField()
    valid_until = models.DateField()
    rcep_country = models.CharField(max_length=2)
    approved_exporter_code = models.CharField(max_length=60, blank=True)
    hs = models.CharField(max_length=6)
    description = models.CharField(max_length=300)
    criterion = models.CharField(max_length=40)
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    unit = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["country", "reference", "item"], name="trade_one_original_item")]
        verbose_name = _("original proof of origin")

    def __str__(self):
        return f"{self.country} {self.reference} item {self.item}"


class BackToBackDraw(models.Model):
    """The quantity a back-to-back certificate re-exports from an original proof — 分批出口数量."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="draws")
    original = models.ForeignKey(OriginalProof, on_delete=models.PROTECT, related_name="draws")
    quantity = models.DecimalField(max_digits=18, decimal_places=3)

    class Meta:
        verbose_name = _("back-to-back draw")


class ApprovedExporter(models.Model):
    """An approved exporter — 经核准出口商 (Art. 3.21), authorised by the competent authority
    (customs, 海关) with an authorisation code that its declarations of origin carry."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("approved exporter", "active")
        SUSPENDED = "suspended", _("suspended")
        WITHDRAWN = "withdrawn", _("withdrawn")

    code = models.CharField(_("authorisation code"), max_length=40, unique=True)
    uscc = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    address_en = models.CharField(max_length=300)
    hs_chapters = models.JSONField(default=list, help_text='goods covered, at least at HS chapter level, e.g. ["94"]')
    granted_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("approved exporter")

    def __str__(self):
        return f"{self.code} {self.name}"


class OriginDeclaration(models.Model):
    """A declaration of origin by an approved exporter — 经核准出口商原产地声明 (Art. 3.18.1(a)).

    The exporter completes it (Annex 3B part 2); the platform records and signs what was declared
    so an importing Party's customs can check it the same way as a certificate."""

    class Status(models.TextChoices):
        COMPLETED = "completed", _("completed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    reference = models.CharField(_("reference number"), max_length=60, unique=True)
    exporter = models.ForeignKey(ApprovedExporter, on_delete=models.PROTECT, related_name="declarations")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    importing_country = models.CharField(max_length=2, db_index=True)
    currency = models.CharField(max_length=3)
    fob_total = models.DecimalField(max_digits=18, decimal_places=2)
    completed_on = models.DateField()
    valid_until = models.DateField()
    completed_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED)
    content = models.JSONField()
    jws = models.TextField()
    kid = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, default="", help_text="SHA-256 of the request that carried the idempotency key"
    )

    class Meta:
        ordering = ["-completed_at", "-id"]
        verbose_name = _("declaration of origin")
        constraints = [
            models.UniqueConstraint(
                fields=["completed_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="trade_dec_one_per_idempotency_key",
            ),
        ]


class ExchangeRate(models.Model):
    """A monthly customs exchange rate — 海关月度计征汇率: yuan per unit of ``currency`` for the
    month starting ``month``. Used only to express FOB values in yuan for the dashboard."""

    currency = models.CharField(max_length=3)
    month = models.DateField(help_text="first day of the month the rate applies to")
    cny_per_unit = models.DecimalField(max_digits=14, decimal_places=6)
    source = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-month"]
        constraints = [models.UniqueConstraint(fields=["currency", "month"], name="trade_one_rate_per_month")]
        verbose_name = _("exchange rate")

    def __str__(self):
        return f"{self.currency} {self.month:%Y-%m} = {self.cny_per_unit} CNY"


class TradeDeclaration(models.Model):
    """One declaration by a trader to the single window — 单一窗口申报, fanned out to agencies."""

    number = models.CharField(max_length=40, unique=True)
    trader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trade_declarations")
    trader_uscc = models.CharField(max_length=18, db_index=True)
    trader_name = models.CharField(max_length=200)
    direction = models.CharField(max_length=6, default="export")
    destination_country = models.CharField(max_length=2, blank=True)
    data = models.JSONField()
    agencies = models.JSONField(default=list)
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, default="", help_text="SHA-256 of the request that carried the idempotency key"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("trade declaration")
        constraints = [
            models.UniqueConstraint(
                fields=["trader", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="trade_decl_one_per_idempotency_key",
            ),
        ]

    def __str__(self):
        return self.number


class AgencySubmission(models.Model):
    """The outbox row for one agency — 发往各部门的报文 (an outbox: nothing is lost).

    ``queued`` → (sent, the agency acknowledged) ``sent`` → ``accepted`` / ``rejected``. A call
    that fails (agency down, timeout) leaves the row where it was with one more attempt and a
    later ``next_attempt_at`` (exponential backoff); the worker or ``zimao trade retry`` picks up
    every due row. A row is claimed for a short lease before the call, so two workers never send
    it at once, and a worker that dies mid-call leaves a row that becomes due again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to be sent")  # 待发送
        SENT = "sent", _("sent, waiting for the answer")  # 已送达，等待答复
        ACCEPTED = "accepted", pgettext_lazy("agency", "accepted")  # 已通过
        REJECTED = "rejected", _("rejected")  # 已退回

    declaration = models.ForeignKey(TradeDeclaration, on_delete=models.CASCADE, related_name="submissions")
    agency = models.CharField(max_length=20)
    adapter = models.CharField(max_length=40)
    message_id = models.CharField(max_length=80, unique=True, help_text="idempotency key the agency sees")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0, help_text="consecutive failed calls (backoff exponent)")
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    reference = models.CharField(max_length=80, blank=True, help_text="the agency's reference once it acknowledged")
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True)
    history = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["declaration", "agency"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "agency"], name="trade_one_submission_per_agency")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("agency submission")

    def __str__(self):
        return f"{self.declaration.number} → {self.agency} ({self.status})"
