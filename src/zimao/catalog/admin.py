"""Administrators configure services here: a new service is a row and a process definition,
checked against the registered rules, effects and outputs before it is saved."""

from django import forms as djforms
from django.contrib import admin

from zimao.catalog import extensions, process
from zimao.catalog.models import Department, Officer, ProcessDefinition, ServiceItem, ZoneProfile
from zimao.catalog.services import department_codes
from zimao.core import identifiers


class DepartmentForm(djforms.ModelForm):
    class Meta:
        model = Department
        fields = ("code", "name_zh", "name_en", "is_window", "authority_name_zh", "authority_name_en", "authority_uscc")

    def clean_authority_uscc(self):
        code = identifiers.normalise(self.cleaned_data.get("authority_uscc"))
        if code:
            result = identifiers.validate_uscc(code, "authority_uscc")
            if not result.valid:
                raise djforms.ValidationError([f"{p.zh} / {p.en}" for p in result.problems])
        return code

    def clean(self):
        data = super().clean()
        given = [bool(data.get(k)) for k in ("authority_name_zh", "authority_name_en", "authority_uscc")]
        if any(given) and not all(given):
            raise djforms.ValidationError(
                "发证机关的中英文名称和代码须一并填写 / give the authority's Chinese and "
                "English names and its code together"
            )
        return data


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ("code", "name_zh", "authority_name_zh", "authority_uscc", "is_window")
    search_fields = ("code", "name_zh", "name_en", "authority_name_zh", "authority_uscc")


class ZoneProfileForm(djforms.ModelForm):
    site_url = djforms.URLField(
        required=False,
        assume_scheme="https",
        help_text="printed in QR codes; empty = the address the server is reached at",
    )

    class Meta:
        model = ZoneProfile
        fields = (
            "key",
            "name_zh",
            "name_en",
            "division",
            "issuer_department",
            "registration_department",
            "origin_place",
            "site_url",
            "demo_codes",
            "note",
            "active",
        )

    def clean(self):
        from zimao.core import divisions

        data = super().clean()
        if data.get("division") and not divisions.is_valid_division(data["division"]):
            self.add_error("division", "不是 GB/T 2260 行政区划代码 / not a GB/T 2260 division code")
        codes = department_codes()
        for key in ("issuer_department", "registration_department"):
            if data.get(key) and data[key] not in codes:
                self.add_error(key, "没有这个部门代码 / no department has this code")
        if data.get("active") and ZoneProfile.objects.filter(active=True).exclude(pk=self.instance.pk).exists():
            self.add_error("active", "已有生效的片区配置，请先停用 / another profile is active: deactivate it first")
        return data


@admin.register(ZoneProfile)
class ZoneProfileAdmin(admin.ModelAdmin):
    """片区配置: the departments' authorities are edited on the department page; the whole profile
    moves between installations with ``zimao zone export/import``."""

    form = ZoneProfileForm
    list_display = ("key", "name_zh", "division", "registration_department", "origin_place", "active")


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


class ServiceItemForm(djforms.ModelForm):
    class Meta:
        model = ServiceItem
        fields = (
            "code",
            "name_zh",
            "name_en",
            "department",
            "legal_basis",
            "legal_limit_days",
            "promised_limit_days",
            "rectification_days",
            "materials",
            "form",
            "checks",
            "guide_zh",
            "guide_en",
            "published",
            "attributes",
        )

    def clean_attributes(self):
        """Each app's attributes checked by the kinds it registered (``catalog.extensions``)."""
        attributes = self.cleaned_data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise djforms.ValidationError('应为 {"应用": {"属性": 值}} / must be {"app": {"attribute": value}}')
        errors, cleaned = [], {}
        for app, values in attributes.items():
            if not isinstance(values, dict):
                errors.append(f"{app}: 应为 JSON 对象 / must be a JSON object")
                continue
            for name, value in values.items():
                found = extensions.owner(name)
                if found is None or found[0] != app:
                    errors.append(f"{app}.{name}: 未注册的属性 / not a registered attribute")
                    continue
                value, problem = found[1].clean(name, value)
                if problem:
                    errors.append(f"{app}.{name}: {problem.zh} / {problem.en}")
                cleaned.setdefault(app, {})[name] = value
        if errors:
            raise djforms.ValidationError(errors)
        return cleaned


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    form = ServiceItemForm
    list_display = (
        "code",
        "name_zh",
        "department",
        "legal_limit_days",
        "promised_limit_days",
        "published",
    )
    list_filter = ("department", "published")
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
