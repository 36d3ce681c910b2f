"""What the notifications keep — 消息通知: the messages shown in the notification centre, what was
sent on which channel (so a repeated delivery of the same event sends nothing twice), and each
person's choice of channels and language."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("text message")


class Preference(models.Model):
    """A person's choice: e-mail and text messages on or off, and the language of the messages
    (empty: both, Chinese first). Without a row every channel is on and both languages are used."""

    class Language(models.TextChoices):
        BOTH = "", _("Chinese and English")
        ZH = "zh-hans", _("Chinese")
        EN = "en", _("English")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference")
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=True)
    language = models.CharField(max_length=8, blank=True, default="", choices=Language.choices)
    updated_at = models.DateTimeField(auto_now=True)


class Notification(models.Model):
    """One message in a person's notification centre (站内消息), one per event and recipient."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_notifications")
    event_key = models.CharField(max_length=270, help_text="topic:key of the announced event")
    kind = models.CharField(max_length=40)
    case_number = models.CharField(max_length=40, blank=True, default="")
    subject_zh = models.CharField(max_length=300)
    subject_en = models.CharField(max_length=300)
    body_zh = models.TextField()
    body_en = models.TextField()
    line_zh = models.TextField(blank=True, default="", help_text="the one line shown on the case page")
    line_en = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "event_key"], name="notify_one_notification_per_event")]
        indexes = [models.Index(fields=["user", "read_at"], name="notify_unread")]


class Delivery(models.Model):
    """One message sent on one channel to one person for one event: the idempotency record.
    The address is kept masked only (the phone is in the applicant's profile, encrypted)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_deliveries")
    event_key = models.CharField(max_length=270)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address_masked = models.CharField(max_length=120, blank=True, default="")
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event_key", "user", "channel"], name="notify_one_delivery_per_channel")
        ]
