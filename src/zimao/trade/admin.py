"""Trade in the admin — 国际贸易后台: certificates and declarations are read-only here (what is
signed must not be edited; decisions go through the issuing desk, which audits them); exchange
rates are entered here; the single window's outbox can be inspected and a row made due again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from zimao.core import audit
from zimao.core.admin import ReadOnlyAdmin
from zimao.trade.models import (
    AgencySubmission,
    ApprovedExporter,
    Certificate,
    ExchangeRate,
    OriginalProof,
    OriginCheck,
    OriginDeclaration,
    TradeDeclaration,
    TrueCopy,
)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "number",
        "kind",
        "status",
        "exporter_name",
        "importing_country",
        "issuing_body",
        "issued_on",
        "valid_until",
        "retroactive",
    )
    list_filter = ("status", "kind", "issuing_body", "importing_country", "retroactive")
    search_fields = ("reference", "number", "exporter_name", "exporter_uscc")
    date_hierarchy = "submitted_at"


@admin.register(TrueCopy)
class TrueCopyAdmin(ReadOnlyAdmin):
    list_display = ("reference", "certificate", "status", "requested_at", "issued_at")
    list_filter = ("status",)


@admin.register(OriginalProof)
class OriginalProofAdmin(ReadOnlyAdmin):
    list_display = ("country", "reference", "item", "issued_on", "valid_until", "quantity", "unit")
    search_fields = ("reference",)


@admin.register(ApprovedExporter)
class ApprovedExporterAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "uscc", "status", "granted_on", "expires_on")
    list_filter = ("status",)
    search_fields = ("code", "name", "uscc")


@admin.register(OriginDeclaration)
class OriginDeclarationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "exporter", "importing_country", "completed_on", "valid_until", "status")
    search_fields = ("reference",)


@admin.register(OriginCheck)
class OriginCheckAdmin(ReadOnlyAdmin):
    list_display = ("pk", "owner", "hs", "description", "originating", "criterion", "created_at")
    list_filter = ("originating",)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Monthly customs rates (海关月度计征汇率): entered once a month; a used rate is not edited."""

    list_display = ("currency", "month", "cny_per_unit", "source")
    list_filter = ("currency",)

    def get_readonly_fields(self, request, obj=None):
        return ("currency", "month", "cny_per_unit") if obj else ()

    def save_model(self, request, obj, form, change):
        obj.month = obj.month.replace(day=1)
        super().save_model(request, obj, form, change)
        audit.record(
            request.user,
            "exchange_rate.set",
            obj,
            after={
                "currency": obj.currency,
                "month": obj.month,
                "cny_per_unit": obj.cny_per_unit,
                "source": obj.source,
            },
        )


class SubmissionInline(admin.TabularInline):
    model = AgencySubmission
    fields = ("agency", "adapter", "status", "attempts", "failures", "next_attempt_at", "reference", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TradeDeclaration)
class TradeDeclarationAdmin(ReadOnlyAdmin):
    list_display = ("number", "trader_name", "destination_country", "submitted_at")
    search_fields = ("number", "trader_name", "trader_uscc")
    inlines = [SubmissionInline]


@admin.register(AgencySubmission)
class AgencySubmissionAdmin(ReadOnlyAdmin):
    list_display = ("declaration", "agency", "status", "attempts", "failures", "next_attempt_at", "reference")
    list_filter = ("status", "agency", "adapter")
    actions = ["retry_now"]

    @admin.action(description="Retry now 立即重试")
    def retry_now(self, request, queryset):
        from zimao.trade.window.services import schedule

        rows = list(queryset.filter(status__in=[AgencySubmission.Status.QUEUED, AgencySubmission.Status.SENT]))
        now = timezone.now()
        for sub in rows:
            AgencySubmission.objects.filter(pk=sub.pk).update(next_attempt_at=now)
            audit.record(request.user, "trade.submission.retry_now", sub, after={"agency": sub.agency})
            schedule(sub.pk)
        self.message_user(request, f"{len(rows)} queued again / 已重新排队", messages.SUCCESS)
