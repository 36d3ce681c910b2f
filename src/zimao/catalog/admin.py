"""Administrators configure services here: a new service is a row and a process definition,
checked against the registered rules, effects and outputs before it is saved."""

from django import forms as djforms
from django.contrib import admin

from zimao.catalog import process
from zimao.catalog.models import Activity, Department, Officer, ProcessDefinition, ServiceItem
from zimao.catalog.services import department_codes


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "is_window")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ("user", "department", "role")
    list_filter = ("role", "department")
    autocomplete_fields = ("user",)


class ProcessForm(djforms.ModelForm):
    class Meta:
        model = ProcessDefinition
        fields = ("service", "version", "definition", "published")

    def clean_definition(self):
        definition = self.cleaned_data["definition"]
        problems = process.validate_definition(definition, department_codes())
        if problems:
            raise djforms.ValidationError([f"{p.field}: {p.zh} / {p.en}" for p in problems])
        return definition


class ProcessInline(admin.TabularInline):
    model = ProcessDefinition
    form = ProcessForm
    extra = 0
    fields = ("version", "published", "created_at")
    readonly_fields = ("version", "created_at")
    can_delete = False
    show_change_link = True


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "department", "reform_mode", "legal_limit_days", "promised_limit_days", "published")
    list_filter = ("reform_mode", "department", "published")
    search_fields = ("code", "name_zh", "name_en", "legal_basis")
    inlines = [ProcessInline]


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin):
    form = ProcessForm
    list_display = ("service", "version", "published", "created_at")
    list_filter = ("published",)

    def get_readonly_fields(self, request, obj=None):
        # A version that cases already use is history: change it by publishing a new version.
        if obj and obj.cases.exists():
            return ("service", "version", "definition")
        return ()


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Business-scope activities (经营范围): what tells a company which permits it needs."""

    list_display = ("key", "name_zh", "name_en", "industry_code", "position")
    search_fields = ("key", "name_zh", "name_en")
