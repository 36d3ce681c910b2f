"""Core tables: the audit chain, counters, the business-calendar overrides, signing keys and API
tokens. Other apps reach them through the service modules beside this file (``audit``,
``sequences``, ``calendar``, ``signing``), never directly."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change of anything that matters (append-only, hash-chained; 审计留痕).

    Each audited object (a case, a credential, a market entity…) keeps its own chain:
    ``object_seq`` counts that object's events from 1 and ``hash`` = SHA-256 over the previous
    event's hash (of the same object) and this event's canonical content. A chain is extended
    under the lock the change already holds on its object, so appends in the zone never queue
    on one row. The global order is ``id``; the checkpointer gives each event a ``log_index``
    (its leaf in the zone's RFC 9162 Merkle log) and signs the tree head, which is what makes
    rewriting a whole chain with recomputed hashes detectable (``zimao audit verify``).
    """

    at = models.DateTimeField()
    actor = models.CharField(max_length=150, help_text="username, or system:<component>, or zone:<node>")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_seq = models.BigIntegerField(help_text="position in this object's chain, from 1")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    log_index = models.BigIntegerField(
        null=True, blank=True, unique=True, help_text="leaf index in the Merkle log; empty until checkpointed"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id", "object_seq"], name="core_auditevent_object_chain"
            )
        ]
        verbose_name = _("audit event")

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}/{self.object_seq}"

    @property
    def seq(self) -> int:
        """The event's place in the zone's global order (its id); kept for readers of ``#seq``."""
        return self.pk


class AuditCheckpoint(models.Model):
    """A signed tree head of the zone's audit log (审计检查点, RFC 9162 / C2SP checkpoint).

    ``tree_size`` leaves (events with ``log_index`` below it) hash to ``root_hash``; ``signed``
    is a JWS over that statement made with the node's signing key, checkable against
    ``/.well-known/jwks.json`` by anyone who kept it.
    """

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    kid = models.CharField(max_length=100)
    signed = models.TextField(help_text="compact JWS over the tree head")
    frontier = models.JSONField(default=list, help_text="the tree's right edge, for the next checkpoint")

    class Meta:
        ordering = ["tree_size"]
        verbose_name = _("audit checkpoint")

    def __str__(self):
        return f"checkpoint {self.tree_size} {self.root_hash[:12]}"


class Sequence(models.Model):
    """Named counters (case numbers, organisation-code bodies, licence serials). A value that was
    committed is never handed out again."""

    name = models.CharField(max_length=100, primary_key=True)
    value = models.BigIntegerField(default=0)


class CalendarDay(models.Model):
    """An override of the business calendar for one date (节假日与调休).

    ``is_workday`` False marks a public holiday; True marks a make-up workday on a weekend (调休).
    Seeded from ``chinesecalendar``; administrators enter each new year's State Council notice.
    """

    date = models.DateField(unique=True)
    is_workday = models.BooleanField()
    name = models.CharField(max_length=100, blank=True)
    source = models.CharField(
        max_length=20, default="admin", choices=[("package", "chinesecalendar"), ("admin", _("administrator"))]
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")


class CalendarYear(models.Model):
    """A year whose official holiday arrangement is known. Dates in any other year fall back to
    Monday–Friday and deadlines computed over them are marked provisional."""

    year = models.PositiveIntegerField(unique=True)
    source = models.CharField(max_length=200, blank=True, help_text="e.g. 国办发明电〔2025〕7号")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")


class SigningKey(models.Model):
    """A key the platform signs credentials with. The private half is stored encrypted with the
    field key (never in the repository or a log); the public half is published as JWKS."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired (verifies, no longer signs)")
        REVOKED = "revoked", _("revoked (compromised: no longer verifies)")

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=20, default="EdDSA")
    public_jwk = models.JSONField()
    private_key_encrypted = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signing key")

    def __str__(self):
        return f"{self.kid} ({self.algorithm}, {self.status})"


class ApiToken(models.Model):
    """A bearer token for API clients; only its SHA-256 digest is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)


class ThrottleEvent(models.Model):
    """One event a rate limit counts — 限流计数 (``zimao.core.throttle``): a failed log-in (per
    username + address, and per address), an account registered (per address). Kept in the
    database so every web process on every machine counts the same events; rows older than the
    window are deleted as new ones arrive. ``key`` is a keyed digest: what someone typed as a
    username (perhaps an identity number) and the address are never stored."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="throttle_event_key_at")]
        verbose_name = _("rate-limited event")


class WorkerLease(models.Model):
    """A task worker's lease — 后台任务进程租约. A live worker renews it every few seconds (a
    heartbeat thread in ``zimao worker``); a task RUNNING under a worker whose lease has expired
    was orphaned and may be requeued, while one under a live lease is never taken from it
    (``zimao.core.recovery``). The task row names its worker (django-tasks' ``worker_ids``)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True)
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("worker lease")

    def __str__(self):
        return f"{self.worker_id} until {self.expires_at:%H:%M:%S}"


class OutboxEvent(models.Model):
    """Something that happened, announced by the app that made it happen — 事件发件箱
    (``zimao.core.events``). Written in the change's own transaction, so it exists exactly when
    the change does; delivered after commit to the subscribers other apps registered, retried
    until every subscriber took it. Delivered rows stay as the record of what was announced."""

    topic = models.CharField(max_length=64)
    key = models.CharField(max_length=200, blank=True, default="", help_text="what makes a repeat the same event")
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created = models.DateTimeField(default=timezone.now)
    delivered = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True, help_text="after a failed delivery: not before")
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["delivered", "next_attempt", "id"], name="outbox_undelivered"),
            models.Index(fields=["topic", "key"], name="outbox_topic_key"),
        ]
        constraints = [
            # A repeat with the same topic and key is the same event: the INSERT skips it
            # (``ON CONFLICT DO NOTHING``) instead of looking it up first.
            models.UniqueConstraint(fields=["topic", "key"], condition=~models.Q(key=""), name="outbox_topic_key_once"),
        ]
        verbose_name = _("announced event")

    def __str__(self):
        return f"{self.topic} {self.key}".strip()


class SandboxSms(models.Model):
    """A text message the sandbox SMS gateway kept instead of sending — 短信沙箱
    (``zimao.core.sms``). The number is stored encrypted, masked and as a keyed digest."""

    phone_encrypted = models.TextField()
    phone_masked = models.CharField(max_length=20)
    phone_digest = models.CharField(max_length=64, db_index=True)
    text = models.TextField()
    purpose = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("sandbox text message")

    def __str__(self):
        return f"{self.phone_masked} {self.purpose}".strip()
