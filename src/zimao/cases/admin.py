from django.contrib import admin

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

    list_display = ("number", "service", "status", "submitted_at", "due_date", "delivery_method")
    list_filter = ("status", "service", "delivery_method")
    search_fields = ("number",)
    inlines = [TaskInline]
    exclude = ("data",)  # personal data stays in the applicant's and officers' pages, masked

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
