from django.contrib import admin

from zimao.registry.models import EstablishmentStep, MarketEntity, NameReservation


@admin.register(MarketEntity)
class MarketEntityAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "org_form", "industry", "status", "established_on", "demo")
    list_filter = ("status", "org_form", "industry", "demo")
    search_fields = ("name", "uscc")
    exclude = ("legal_rep_id",)  # shown masked only
    readonly_fields = ("legal_rep_id_masked",)


admin.site.register(NameReservation)
admin.site.register(EstablishmentStep)
