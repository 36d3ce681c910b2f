"""What the portal keeps about a person beyond Django's user: the phone number they gave when
registering (or the window clerk took at the counter), and the identity document (type and
number) the counter finds them by — each encrypted at rest (PIPL) with its mask for display; the identity number is found
by its keyed digest. And the window's counter intakes (前台综合受理) in progress."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zimao.core.protected import EncryptedTextField


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_profile")
    phone = EncryptedTextField(blank=True, default="")
    phone_masked = models.CharField(max_length=20, blank=True, default="")
    # The phone number's keyed digest: the window finds an account that has no identity number yet
    # by the phone it was registered with (several accounts may share one phone).
    phone_digest = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # The identity document on file: its type (``zimao.core.identifiers.ID_DOCUMENT_TYPES``, "" when
    # none) and number — encrypted, masked, and looked up by the keyed digest of (type, number) only
    # (``intake.document_digest``), so the unique digest means one account per document.
    id_type = models.CharField(max_length=20, blank=True, default="")
    id_number = EncryptedTextField(blank=True, default="")
    id_masked = models.CharField(max_length=24, blank=True, default="")
    id_digest = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # Created by a window clerk for a walk-in applicant (no usable password until claimed).
    at_counter = models.BooleanField(default=False)
    # The one-time code that claims such an account online (only its keyed hash is kept).
    code_hash = models.CharField(max_length=64, blank=True, default="")
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal profile")
        constraints = [
            models.UniqueConstraint(
                fields=["id_digest"], condition=~models.Q(id_digest=""), name="one_profile_per_id_number"
            )
        ]

    def __str__(self):
        return f"{self.user} {self.phone_masked}"


class Intake(models.Model):
    """An application a window clerk fills in for a walk-in applicant (代办), from the catalogue
    form to the applicant's confirmation with a one-time code sent to their phone."""

    ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    service_code = models.CharField(max_length=40)
    # The draft, shaped like the portal's (sections cleaned by the form engine, materials by key).
    sections = models.JSONField(default=dict, blank=True)
    materials = models.JSONField(default=dict, blank=True)
    delivery_method = models.CharField(max_length=12, default="window")
    mail_address = models.TextField(blank=True, default="")
    # The one-time confirmation code: only its keyed hash is kept.
    code_hash = models.CharField(max_length=64, blank=True, default="")
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, default="")
    case_number = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("counter intake")

    def __str__(self):
        return f"{self.service_code} {self.ref}"
