"""Dashboard pages — 运行监测页面: overview, indicator detail and drill-down, industry and chain
maps, projects, ledgers, statistics import, Excel export, and the public page."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zimao.core import audit
from zimao.core.errors import Problem
from zimao.monitor import export, importer, picture, readout
from zimao.monitor.access import zone_admin_required
from zimao.monitor.models import ImportJob, Indicator
from zimao.monitor.periods import PeriodError, parse


def _lang() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _window(request):
    since, until, errors = picture.parse_window(request.GET)
    query = request.GET.urlencode()
    return since, until, errors, query


def _common(request, active: str, **extra) -> dict:
    since, until, errors, query = _window(request)
    return {
        "active": active,
        "since": since,
        "until": until,
        "window_errors": errors,
        "query": query,
        "from_value": request.GET.get("from", ""),
        "to_value": request.GET.get("to", ""),
        **extra,
    }


@zone_admin_required
@readout.snapshot()
def dashboard(request):
    lang = _lang()
    ctx = _common(request, "overview")
    since, until = ctx["since"], ctx["until"]
    data = picture.overview(lang, since, until)
    industry = picture.industry_output(lang, until, since)
    tiers = picture.tiers(lang, until)
    entities = Indicator.objects.filter(code="market.new_entities").first()
    charts = {
        "industry": industry["chart"],
        "tiers": tiers["chart"],
        "entities": picture.trend(entities, lang, since, until) if entities else None,
        "establishment": picture.establishment(lang, since, until),
    }
    ctx.update(
        data=data,
        industry=industry,
        tiers=tiers,
        charts=charts,
        export_url=reverse("monitor:export", args=["overview"]),
    )
    return render(request, "monitor/dashboard.html", ctx)


@readout.snapshot()
def public(request):
    """The public dashboard — 公开数据: published indicators only, no login."""
    lang = _lang()
    since, until, errors = picture.parse_window(request.GET)
    data = picture.overview(lang, since, until, published_only=True)
    published = set(Indicator.objects.filter(published=True).values_list("code", flat=True))
    industry = picture.industry_output(lang, until, since) if "industry.output" in published else None
    tiers = picture.tiers(lang, until, published_only=True)
    return render(
        request,
        "monitor/public.html",
        {
            "data": data,
            "industry": industry,
            "tiers": tiers,
            "window_errors": errors,
            "from_value": request.GET.get("from", ""),
            "to_value": request.GET.get("to", ""),
            "charts": {
                "industry": industry["chart"] if industry else None,
                "tiers": tiers["chart"] if tiers["rows"] else None,
            },
            "export_url": reverse("monitor:public_export"),
            "query": request.GET.urlencode(),
        },
    )


@readout.snapshot()
def public_export(request):
    lang = _lang()
    since, until, _errors = picture.parse_window(request.GET)
    data = picture.overview(lang, since, until, published_only=True)
    return export.response([export.indicator_rows(data["rows"])], "zimao-public-indicators.xlsx")


@zone_admin_required
@readout.snapshot()
def indicator(request, code):
    lang = _lang()
    ind = get_object_or_404(Indicator, code=code)
    ctx = _common(request, "overview")
    since, until = ctx["since"], ctx["until"]
    dimension = request.GET.get("dimension", "")
    info = readout.indicator_dict(ind, until=until, since=since, language=lang)
    points = [readout.figure_dict(p, lang) for p in readout.series(ind, dimension, since=since, until=until)]
    fig = readout.latest(ind, dimension, until=until, since=since)
    parts = [readout.figure_dict(f, lang) for f in readout.breakdown(ind, fig.period)] if fig else []
    chart = picture.trend(ind, lang, since, until, dimension)
    ctx.update(
        ind=ind,
        info=info,
        points=points,
        parts=parts,
        chart=chart,
        dimension=dimension,
        targets=[readout.target_info(t, fig, lang) for t in ind.targets.all()],
        drill=ind.source == "computed" and fig is not None and fig.source == "computed",
        latest_period=fig.period.key if fig else "",
        export_url=reverse("monitor:export", args=["indicator"]) + f"?code={code}",
    )
    return render(request, "monitor/indicator.html", ctx)


@zone_admin_required
def indicator_events(request, code):
    """Drill-down — 明细: the events behind a computed figure."""
    lang = _lang()
    ind = get_object_or_404(Indicator, code=code, source="computed")
    period, error = _period_param(request)
    dimension = request.GET.get("dimension", "")
    rows = picture.events(ind, lang, period, dimension) if not error else []
    if request.GET.get("format") == "xlsx":
        sheet = (
            _("Events"),
            [_("Time"), _("Reference"), _("Label"), _("Dimension"), _("Value"), _("Event key")],
            [
                [r.get("at"), r.get("ref"), r.get("label"), r.get("dimension"), r.get("value"), r.get("key")]
                for r in rows
            ],
        )
        return export.response([sheet], f"zimao-{code}-events.xlsx")
    return render(
        request,
        "monitor/events.html",
        {
            "active": "overview",
            "ind": ind,
            "rows": rows,
            "period": period,
            "dimension": dimension,
            "period_label": period.label(lang) if period else _("All periods"),
            "error": error,
            "dimension_label": ind.dimension_label(dimension, lang),
            "query": request.GET.urlencode(),
        },
    )


def _period_param(request):
    raw = request.GET.get("period", "")
    if not raw:
        return None, None
    try:
        return parse(raw), None
    except PeriodError as exc:
        return None, exc.en if _lang().startswith("en") else exc.zh


@zone_admin_required
@readout.snapshot()
def industry(request):
    lang = _lang()
    ctx = _common(request, "industry")
    output = picture.industry_output(lang, ctx["until"], ctx["since"])
    tiers = picture.tiers(lang, ctx["until"])
    chains = picture.chains(lang)
    ctx.update(
        output=output,
        tiers=tiers,
        chains=chains,
        groups=picture.industries(lang),
        enterprises=picture.enterprises(lang),
        charts={"industry": output["chart"], "tiers": tiers["chart"]},
        export_url=reverse("monitor:export", args=["industry"]),
    )
    return render(request, "monitor/industry.html", ctx)


@zone_admin_required
@readout.snapshot()
def projects(request):
    lang = _lang()
    ctx = _common(request, "projects")
    data = picture.projects(lang)
    ctx.update(data=data, charts={"pipeline": data["chart"]}, export_url=reverse("monitor:export", args=["projects"]))
    return render(request, "monitor/projects.html", ctx)


@zone_admin_required
@readout.snapshot()
def ledgers(request):
    lang = _lang()
    ctx = _common(request, "ledgers")
    data = picture.ledgers(lang)
    ctx.update(data=data, charts={"outcomes": data["chart"]}, export_url=reverse("monitor:export", args=["ledgers"]))
    return render(request, "monitor/ledgers.html", ctx)


@zone_admin_required
@readout.snapshot()
def export_view(request, view):
    """Any dashboard view as an Excel workbook — 导出Excel (same figures as the page)."""
    lang = _lang()
    since, until, _errors = picture.parse_window(request.GET)
    if view == "overview":
        data = picture.overview(lang, since, until)
        sheets = [
            export.indicator_rows(data["rows"]),
            export.industry_rows(picture.industry_output(lang, until, since)),
        ]
    elif view == "indicator":
        ind = get_object_or_404(Indicator, code=request.GET.get("code", ""))
        dimension = request.GET.get("dimension", "")
        points = [readout.figure_dict(p, lang) for p in readout.series(ind, dimension, since=since, until=until)]
        sheets = [export.series_rows(ind, points)]
        view = ind.code
    elif view == "industry":
        chains = picture.chains(lang)
        sheets = [
            export.industry_rows(picture.industry_output(lang, until, since)),
            (
                _("Industry chains"),
                [_("Chain"), _("Stage"), _("Link"), _("Enterprises"), _("Gap")],
                [
                    [c["name"], ln["stage_name"], ln["name"], ln["enterprises"], ln["gap"]]
                    for c in chains
                    for ln in c["links"]
                ],
            ),
            (
                _("Key enterprises"),
                [_("Enterprise"), "USCC", _("Demo code"), _("Industries"), _("Chain links"), _("Section")],
                [
                    [e["name"], e["uscc"], e["demo"], e["industries"], e["links"], e["section"]]
                    for e in picture.enterprises(lang)
                ],
            ),
            (
                _("Enterprise tiers"),
                [_("Tier"), _("Value"), _("Period"), _("Target"), _("Section")],
                [
                    [r["name"], r["value"], r["period_label"], _target(r["target"]), r["section"]]
                    for r in picture.tiers(lang, until)["rows"]
                ],
            ),
        ]
    elif view == "projects":
        data = picture.projects(lang)
        sheets = [
            (
                _("Projects"),
                [
                    _("Project"),
                    _("Kind"),
                    _("Stage"),
                    _("Investment (100 million CNY)"),
                    _("Progress (%)"),
                    _("Year"),
                    _("Section"),
                    _("Note"),
                ],
                [
                    [
                        r["name"],
                        r["kind_name"],
                        r["stage_name"],
                        r["investment"],
                        r["progress"],
                        r["year"],
                        r["section"],
                        r["note"],
                    ]
                    for r in data["rows"]
                ],
            )
        ]
    elif view == "ledgers":
        data = picture.ledgers(lang)
        sheets = [
            (
                _("Innovation outcomes"),
                [
                    pgettext("innovation", "Outcome"),
                    _("Level"),
                    _("Replication"),
                    _("Count"),
                    _("Year"),
                    _("Section"),
                    _("Note"),
                ],
                [
                    [o["title"], o["level_name"], o["replication"], o["count"], o["year"], o["section"], o["note"]]
                    for o in data["outcomes"]
                ],
            ),
            (
                _("Pilot tasks"),
                [_("Task"), _("Level"), _("Status"), _("Items"), _("Batches"), _("Section"), _("Note")],
                [
                    [p["title"], p["level"], p["status_name"], p["items"], p["batches"], p["section"], p["note"]]
                    for p in data["pilots"]
                ],
            ),
            (
                _("Talent programmes"),
                [_("Programme"), _("Count"), _("Unit"), _("Section")],
                [[t["name"], t["count"], t["unit"], t["section"]] for t in data["talent"]],
            ),
            (
                _("Bonded zone"),
                [_("Indicator"), _("Shown as"), _("Unit"), _("Period"), _("Target"), _("Section")],
                [
                    [b["name"], b["display"], b["unit"], b["period_label"], _target(b["target"]), b["section"]]
                    for b in data["bonded"]
                ],
            ),
        ]
    else:
        raise Http404("no such view")
    return export.response(sheets, f"zimao-{view}.xlsx")


def _target(t):
    return export._target_text(t)


# --- statistics import -------------------------------------------------------------------------


@zone_admin_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    problems: list[Problem] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            problems.append(
                Problem(
                    "file", "required", "请选择要导入的 Excel 或 CSV 文件。", "Choose an Excel or CSV file to import."
                )
            )
        elif upload.size > settings.UPLOAD_MAX_BYTES:
            problems.append(
                Problem(
                    "file",
                    "too_large",
                    f"文件超过 {settings.UPLOAD_MAX_BYTES // 1048576} MB 上限。",
                    f"The file is over the {settings.UPLOAD_MAX_BYTES // 1048576} MB limit.",
                )
            )
        elif not upload.name.lower().endswith((".xlsx", ".csv")):
            problems.append(
                Problem("file", "type", "只接受 .xlsx 或 .csv 文件。", "Only .xlsx or .csv files are accepted.")
            )
        if not problems:
            job = ImportJob.objects.create(created_by=request.user, filename=upload.name[:255], content=upload.read())
            from zimao.monitor.tasks import validate_import_task

            validate_import_task.enqueue(job.pk)
            return redirect("monitor:import_job", job.pk)
    jobs = ImportJob.objects.defer("content", "rows").select_related("created_by")[:20]
    return render(
        request,
        "monitor/import.html",
        {
            "active": "import",
            "jobs": jobs,
            "problems": [p.message(_lang()) for p in problems],
            "columns": [(k, zh, en, k in importer.REQUIRED) for k, (zh, en) in importer.COLUMNS.items()],
        },
        status=400 if problems else 200,
    )


@zone_admin_required
def import_job(request, pk):
    """The job's page; with htmx, only the progress/preview panel (polled while running)."""
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    lang = _lang()
    en = lang.startswith("en")
    errors = [{"field": e["field"], "message": e["message_en"] if en else e["message_zh"]} for e in job.errors]
    preview = []
    for r in (job.summary or {}).get("preview", []):
        preview.append(
            {
                **r,
                "name": r["name_en"] if en else r["name_zh"],
                "unit": r["unit_en"] if en else r["unit_zh"],
                "period_label": r["period_en"] if en else r["period_zh"],
            }
        )
    ctx = {"active": "import", "job": job, "errors": errors, "preview": preview, "summary": job.summary or {}}
    template = "monitor/_job.html" if request.htmx else "monitor/import_job.html"
    return render(request, template, ctx)


@zone_admin_required
@require_POST
def import_commit(request, pk):
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    if job.status != "preview":
        return redirect("monitor:import_job", job.pk)
    ImportJob.objects.filter(pk=job.pk, status="preview").update(status="committing")
    from zimao.monitor.tasks import commit_import_task

    commit_import_task.enqueue(job.pk)
    return redirect("monitor:import_job", job.pk)


@zone_admin_required
@require_POST
def import_discard(request, pk):
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk)
    if job.status in ("preview", "invalid", "failed"):
        audit.record(request.user, "monitor.import.discard", job, before={"status": job.status})
        job.delete()
    return redirect("monitor:import")


@zone_admin_required
def import_template(request):
    resp = HttpResponse(importer.template_workbook(), content_type=export.XLSX)
    resp["Content-Disposition"] = 'attachment; filename="zimao-statistics-template.xlsx"'
    return resp
