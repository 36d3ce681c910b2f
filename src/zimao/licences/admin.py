"""Admin for the e-licence store: look-up only. Issuing, revoking and suspending go through
``zimao.licences.services`` so that every change is signed and audited."""

from django.contrib import admin

from zimao.licences.models import Credential


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = ["identifier", "title_zh", "holder_name", "holder_uscc", "status", "issued_at", "valid_until"]
    list_filter = ["status", "kind"]
    search_fields = ["identifier", "holder_uscc", "holder_name", "case_number", "title_zh", "title_en"]
    date_hierarchy = "issued_at"
    ordering = ["-issued_at"]

    def get_readonly_fields(self, request, obj=None):
        # Every field: the signed content must not change, and status changes must be audited.
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
