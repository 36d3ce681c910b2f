"""Admin for permits. Commitments, checks, credit records and activity notes are look-up only:
commitments are signed by applicants, checks recorded through ``zimao.permits.services`` (which
revokes and audits). The business-scope activities (经营范围) are catalogue data and editable."""

from django.contrib import admin

from zimao.permits.models import Activity, ActivityNote, Commitment, CreditRecord, PostCheck


class ReadOnly(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Commitment)
class CommitmentAdmin(ReadOnly):
    list_display = ["case_number", "item_code", "holder_uscc", "signer_name", "signed_at", "status"]
    list_filter = ["status", "item_code"]
    search_fields = ["case_number", "holder_uscc", "signer_name", "credential_identifier"]


@admin.register(PostCheck)
class PostCheckAdmin(ReadOnly):
    list_display = ["commitment", "department", "due_date", "outcome", "decided_at"]
    list_filter = ["outcome", "department"]


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnly):
    list_display = ["holder_name", "holder_uscc", "kind", "item_code", "case_number", "recorded_at"]
    search_fields = ["holder_uscc", "holder_name", "case_number"]


@admin.register(ActivityNote)
class ActivityNoteAdmin(ReadOnly):
    list_display = ["holder_uscc", "item_code", "noted_at"]
    search_fields = ["holder_uscc", "item_code"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Business-scope activities (经营范围): what tells a company which permits it needs."""

    list_display = ("key", "name_zh", "name_en", "industry_code", "position")
    search_fields = ("key", "name_zh", "name_en")
