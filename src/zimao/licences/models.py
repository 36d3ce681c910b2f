"""The e-licence store — 电子证照库.

A credential's content (holder, subject, validity) is fixed at issue and signed into ``jws``; its
status (valid / revoked / suspended) is the store's current word and is *not* signed, so a
revocation is visible to every verifier at once without re-signing anything. "Expired" is never
stored: it follows from ``valid_until`` and today's date.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Credential(models.Model):
    """One issued e-licence — 电子证照 (business licence, permit, certificate…)."""

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        REVOKED = "revoked", _("revoked")
        SUSPENDED = "suspended", _("suspended")

    identifier = models.CharField(
        _("identifier"), max_length=120, unique=True, help_text="GB/T 36904-2018 电子证照标识"
    )
    kind = models.CharField(_("kind"), max_length=64, db_index=True, help_text='e.g. "business_licence"')
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    holder_uscc = models.CharField(_("holder USCC"), max_length=18, db_index=True, help_text="持证主体统一社会信用代码")
    holder_name = models.CharField(_("holder name"), max_length=200)
    subject = models.JSONField(
        _("subject"), default=dict, blank=True, help_text="fields printed on the licence (证照信息项)"
    )
    issuer_name = models.CharField(_("issuer"), max_length=200)
    issued_at = models.DateTimeField(_("issued at"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text="inclusive; empty means long-term (长期)"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    status_reason = models.TextField(_("status reason"), blank=True)
    jws = models.TextField(_("signed payload (JWS)"))
    kid = models.CharField(_("signing key id"), max_length=64)
    case_number = models.CharField(_("case number"), max_length=64, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            # One credential of a kind per case: issuing is idempotent even under a retry race.
            models.UniqueConstraint(
                fields=["case_number", "kind"],
                condition=Q(case_number__isnull=False),
                name="licences_one_kind_per_case",
            ),
        ]

    def __str__(self):
        return f"{self.title_zh} {self.identifier}"

    def effective_status(self, today: dt.date | None = None) -> str:
        """valid / expired / not_yet_valid / revoked / suspended — 当前状态 (expiry is derived)."""
        if self.status != self.Status.VALID:
            return self.status
        today = today or timezone.localdate()
        if self.valid_until is not None and today > self.valid_until:
            return "expired"
        if today < self.valid_from:
            return "not_yet_valid"
        return "valid"


class HolderVersion(models.Model):
    """The verification version of one holder — 持证主体核验版本.

    Every issue, revocation, suspension and reinstatement of one of the holder's credentials
    bumps it in its own transaction, so a cached verification answer is used only while the
    holder's version (and the signing keys' version, kept under ``KEYS_ROW``) is unchanged.
    ``stamp`` is random at each bump: a version number that repeats after a rollback or a restore
    from backup can never make an old cached answer look current.
    """

    KEYS_ROW = "*"  # the row the signing keys' changes bump (no USCC is a single "*")

    holder_uscc = models.CharField(_("holder USCC"), max_length=18, unique=True)
    version = models.BigIntegerField(_("version"), default=0)
    stamp = models.CharField(_("stamp"), max_length=32)

    class Meta:
        verbose_name = _("holder verification version")
        verbose_name_plural = _("holder verification versions")

    def __str__(self):
        return f"{self.holder_uscc} v{self.version}"
