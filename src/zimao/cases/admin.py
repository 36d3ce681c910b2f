from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zimao.cases.models import Case, Notification, Rating, Task, Timer


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    can_delete = False
    fields = ("key", "department", "status", "due_date", "escalated", "decided_by", "reason")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the engine, which writes the audit chain."""

    list_display = ("number", "service", "status", "submitted_at", "due_date", "delivery_method", "stuck_at")
    list_filter = ("status", "service", "delivery_method", ("stuck_at", admin.EmptyFieldListFilter))
    search_fields = ("number",)
    inlines = [TaskInline]
    exclude = ("data",)  # personal data stays in the applicant's and officers' pages, masked
    actions = ["retry_stuck"]

    @admin.action(description=_("Retry cases that could not advance"))
    def retry_stuck(self, request, queryset):
        from zimao.cases import services

        for number in queryset.filter(stuck_at__isnull=False).values_list("number", flat=True):
            services.retry_stuck(number, request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("case", "key", "department", "status", "due_date", "escalated")
    list_filter = ("status", "department", "escalated", "kind")
    search_fields = ("case__number",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("case", "level", "named", "follow_up_level", "created_at")
    list_filter = ("level", "named")

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Timer)
admin.site.register(Notification)
