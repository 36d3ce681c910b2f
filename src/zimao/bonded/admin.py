"""Bonded zone in the Django admin: enterprises and their operators, books and their items are
kept by customs here; lists, postings, release notes and gate records are read-only (a posting is
never edited: a mistake is reversed by a new list)."""

from django.contrib import admin

from zimao.bonded.models import (
    AccountBook,
    BondedEnterprise,
    BookItem,
    ConsumptionNorm,
    GateRecord,
    InventoryList,
    Posting,
    ReleaseNote,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BondedEnterprise)
class BondedEnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "customs_code")
    search_fields = ("name", "uscc", "customs_code")
    filter_horizontal = ("operators",)


class BookItemInline(admin.TabularInline):
    model = BookItem
    fields = (
        "seq",
        "kind",
        "part_no",
        "hs_code",
        "description",
        "unit",
        "unit_price",
        "currency",
        "origin_country",
        "on_hand",
        "reserved",
        "incoming",
    )
    readonly_fields = ("on_hand", "reserved", "incoming")
    extra = 0
    can_delete = False


@admin.register(AccountBook)
class AccountBookAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "enterprise", "warehouse", "customs_district", "suspended")
    list_filter = ("kind", "suspended")
    search_fields = ("number", "enterprise__name")
    inlines = [BookItemInline]


@admin.register(ConsumptionNorm)
class ConsumptionNormAdmin(ReadOnly):
    list_display = ("product", "material", "version", "net", "tangible_loss", "intangible_loss", "bonded_ratio")


@admin.register(InventoryList)
class InventoryListAdmin(ReadOnly):
    list_display = ("number", "book", "movement", "status", "posting", "declared_at")
    list_filter = ("movement", "status", "posting")
    search_fields = ("number", "internal_no", "book__number")


@admin.register(Posting)
class PostingAdmin(ReadOnly):
    list_display = ("item", "inventory_list", "delta", "balance", "value_usd", "at")


@admin.register(ReleaseNote)
class ReleaseNoteAdmin(ReadOnly):
    list_display = ("number", "book", "plate", "status", "applied_at")


@admin.register(GateRecord)
class GateRecordAdmin(ReadOnly):
    list_display = ("release_note", "keeper", "passed", "at")
