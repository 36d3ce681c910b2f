"""Admin for monitoring data: publish or unpublish indicators, correct observations and ledgers."""

from django.contrib import admin

from zimao.monitor import models


@admin.register(models.Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "unit_zh", "category", "source", "published")
    list_filter = ("source", "category", "published")
    list_editable = ("published",)
    search_fields = ("code", "name_zh", "name_en")
    readonly_fields = ("source", "aggregation", "stream", "param", "scale")


@admin.register(models.IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    list_display = ("indicator", "dimension", "period_key", "value", "qualifier", "section")
    list_filter = ("indicator__category",)
    search_fields = ("indicator__code", "indicator__name_zh")


@admin.register(models.Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("indicator", "comparison", "value", "deadline", "section")


for model in (
    models.Industry,
    models.Enterprise,
    models.Chain,
    models.ChainLink,
    models.Project,
    models.InnovationOutcome,
    models.PilotTask,
    models.TalentProgramme,
):
    admin.site.register(model)


@admin.register(models.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("filename", "status", "total_rows", "created_by", "created_at")
    exclude = ("content",)
    readonly_fields = ("status", "total_rows", "processed_rows", "errors", "error_count", "summary", "committed_at")
