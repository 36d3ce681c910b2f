"""Admin for the core tables.

The calendar — 工作日历 — is the one thing administrators edit here: each autumn they enter the
next year's State Council holiday arrangement (放假 and 调休上班 days plus a ``CalendarYear`` row).
Every such change is written to the audit chain, because it moves statutory deadlines.

The audit chain, signing keys and counters are look-up only: the audit chain is append-only by
design, keys change through ``zimao.core.signing`` (the encrypted private half is never shown),
and a counter edited by hand could hand out a number twice.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from zimao.core import audit
from zimao.core import calendar as business_calendar
from zimao.core.calendar import calendar_warnings
from zimao.core.models import AuditEvent, CalendarDay, CalendarYear, OutboxEvent, Sequence, SigningKey

_WEEKDAYS_ZH = "一二三四五六日"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _CalendarWarningsMixin:
    """Show administrators which years still lack an arrangement (deadlines there are provisional)."""

    def changelist_view(self, request, extra_context=None):
        for text in calendar_warnings():
            messages.warning(request, text)
        return super().changelist_view(request, extra_context)


class _AuditedMixin:
    """Record every admin change to a calendar row in the audit chain."""

    def _snapshot(self, obj):
        return {k: v for k, v in model_to_dict(obj).items() if k != "id"} if obj and obj.pk else None

    def save_model(self, request, obj, form, change):
        before = self._snapshot(type(obj).objects.filter(pk=obj.pk).first()) if change else None
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.model_name}.{'change' if change else 'add'}"
        audit.record(request.user, action, obj, before=before, after=self._snapshot(obj))

    def delete_model(self, request, obj):
        before, pk = self._snapshot(obj), obj.pk
        super().delete_model(request, obj)
        audit.record(
            request.user,
            f"{obj._meta.model_name}.delete",
            object_type=obj._meta.label_lower,
            object_id=pk,
            before=before,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(_CalendarWarningsMixin, _AuditedMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "is_workday", "name", "source"]
    list_editable = ["is_workday", "name"]
    list_filter = [YearFilter, "source", "is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]
    readonly_fields = ["source"]
    list_per_page = 100

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return f"周{_WEEKDAYS_ZH[obj.date.weekday()]} {obj.date:%a}"

    def save_model(self, request, obj, form, change):
        # Whatever a person enters is theirs: `zimao calendar seed` never overwrites it.
        obj.source = "admin"
        years = {obj.date.year} | ({form.initial["date"].year} if change and form.initial.get("date") else set())
        with business_calendar.changing(years, request.user) as summaries:  # deadlines follow the day
            super().save_model(request, obj, form, change)
        _report_recount(request, summaries)

    def delete_model(self, request, obj):
        with business_calendar.changing([obj.date.year], request.user) as summaries:
            super().delete_model(request, obj)
        _report_recount(request, summaries)


def _report_recount(request, summaries):
    totals = {k: sum(s.get(k, 0) for s in summaries) for k in ("cases", "tasks", "timers")}
    if any(totals.values()):
        messages.info(
            request,
            f"已重算办件{totals['cases']}件、任务{totals['tasks']}个、计时器{totals['timers']}个 / "
            f"recomputed {totals['cases']} cases, {totals['tasks']} tasks, {totals['timers']} timers",
        )


class CalendarYearForm(forms.ModelForm):
    """A year's official arrangement entered at once: the notice's days as ``date,kind,name`` lines."""

    arrangement = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 60}),
        label=_("arrangement (one day per line: date,休/班,name)"),
        help_text=_(
            "e.g. 2027-02-06,休,春节 — or 2027-02-20,班,春节调休上班. Replaces the year's days; "
            "every deadline that depended on the year is recomputed."
        ),
    )

    class Meta:
        model = CalendarYear
        fields = ["year", "source"]

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("arrangement") or "").strip()
        if text:
            try:
                year, days = business_calendar.parse_arrangement(text)
            except business_calendar.ArrangementError as exc:
                raise forms.ValidationError({"arrangement": exc.bilingual()}) from exc
            if cleaned.get("year") and year != cleaned["year"]:
                raise forms.ValidationError(
                    {"arrangement": f"日期属于{year}年，与年度不符 / the days are in {year}, not the year entered"}
                )
            cleaned["days"] = days
        return cleaned

    def validate_unique(self):
        # Entering a year already entered replaces its days (idempotent), so no "already exists".
        if "arrangement" in self.cleaned_data and self.cleaned_data.get("days"):
            return
        super().validate_unique()


@admin.register(CalendarYear)
class CalendarYearAdmin(_CalendarWarningsMixin, _AuditedMixin, admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ["year", "source", "entered_at"]
    ordering = ["-year"]
    readonly_fields = ["entered_at"]

    def save_model(self, request, obj, form, change):
        days = form.cleaned_data.get("days")
        if days:
            report = business_calendar.enter_arrangement(obj.year, days, obj.source, actor=request.user)
            obj.pk = CalendarYear.objects.get(year=obj.year).pk
            _report_recount(request, report.recomputed)
            return
        with business_calendar.changing([obj.year], request.user) as summaries:
            super().save_model(request, obj, form, change)
        _report_recount(request, summaries)

    def delete_model(self, request, obj):
        with business_calendar.changing([obj.year], request.user) as summaries:
            super().delete_model(request, obj)
        _report_recount(request, summaries)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor", "action", "object_type", "object_id", "object_seq", "log_index"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor", "action", "object_type", "object_id"]
    date_hierarchy = "at"
    ordering = ["-id"]


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "algorithm", "status", "created_at", "retired_at"]
    list_filter = ["status", "algorithm"]
    # The encrypted private half stays out of every page (and so out of screenshots and logs).
    exclude = ["private_key_encrypted"]
    fields = ["kid", "algorithm", "status", "public_jwk", "created_at", "retired_at"]
    readonly_fields = fields


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdmin):
    list_display = ["name", "value"]
    search_fields = ["name"]
    ordering = ["name"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """What the apps announced (事件发件箱) and whether every subscriber took it — look-up only:
    a stuck event is delivered by ``zimao events drain`` once its subscriber is fixed."""

    list_display = ("id", "topic", "key", "created", "delivered", "attempts", "next_attempt")
    list_filter = ("topic", ("delivered", admin.EmptyFieldListFilter))
    search_fields = ("key",)
    date_hierarchy = "created"
