"""Bonded-zone pages — 综合保税区: the warehouse operator's book and lists, the customs officer's
review queue and discrepancies, the gate keeper's scan, the reconciliation and its Excel export."""

from __future__ import annotations

import io
from datetime import date

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zimao.bonded import access
from zimao.bonded import services as bonded
from zimao.bonded.models import InventoryList
from zimao.core.errors import BusinessError, not_found
from zimao.portal.pages import field_errors, login_required, page
from zimao.portal.present import problem_message

MAX_LINES = 5


def _errors(exc: BusinessError) -> tuple[dict, list]:
    errors = field_errors(exc)
    return errors, [
        {"href": f"#f-{k.replace('[', '-').replace(']', '').replace('.', '-')}", "message": v}
        for k, v in errors.items()
    ]


@page
@login_required
def home(request):
    role = access.role_of(request.user)
    if not role:
        raise PermissionDenied
    ctx = {"role": role}
    if role == "customs":
        ctx["waiting"] = bonded.lists_waiting_for(request.user)[:200]
        ctx["discrepancies"] = bonded.discrepancies(request.user)
        ctx["books"] = bonded.books_for(request.user).select_related("enterprise").order_by("number")
    elif role == "operator":
        ctx["books"] = bonded.books_for(request.user).select_related("enterprise").order_by("number")
    ctx["missing_rates"] = bonded.missing_rates() if role == "customs" else []
    return render(request, "bonded/home.html", ctx)


def _line_rows(request) -> tuple[list[dict], list[dict]]:
    """The declare form's line rows as typed, and the non-empty ones as the service takes them
    (each remembers its row, so an error on line n is shown on the row it came from)."""
    rows, lines = [], []
    for n in range(MAX_LINES):
        seq, qty = request.POST.get(f"item_seq_{n}", ""), request.POST.get(f"quantity_{n}", "").strip()
        counter, sign = request.POST.get(f"counterpart_{n}", ""), request.POST.get(f"sign_{n}", "")
        rows.append({"seq": seq, "quantity": qty, "counterpart": counter, "sign": sign})
        if seq or qty:
            line = {"item_seq": int(seq) if seq.isdigit() else seq, "quantity": qty}
            if counter:
                line["counterpart_item_seq"] = int(counter) if counter.isdigit() else counter
            if sign in ("1", "-1"):
                line["sign"] = int(sign)
            lines.append(line)
            rows[-1]["line"] = len(lines) - 1
    return rows, lines


def _href(field: str, rows: list[dict]) -> str:
    """Where the error summary links to: the row a line came from, or the form field."""
    if field.startswith("lines[") and "]." in field:
        index, key = field[6:].split("].", 1)
        row = next((r for r in rows if r.get("line") == int(index)), None)
        return f"#f-{key}-{row['id']}" if row else "#lines"
    return "#lines" if field == "lines" else f"#f-{field}"


def _row_errors(rows: list[dict], exc: BusinessError) -> None:
    by_line = {}
    for p in exc.problems:
        if p.field.startswith("lines[") and "]." in p.field:
            index, key = p.field[6:].split("].", 1)
            by_line.setdefault((int(index), key), problem_message(p))
    for n, row in enumerate(rows):
        line = row.get("line")
        row["id"] = n
        row["errors"] = {key: msg for (index, key), msg in by_line.items() if index == line} if line is not None else {}


@page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book(request, number: str):
    book = bonded.get_book_for(request.user, number)
    is_operator = book.enterprise.operators.filter(pk=request.user.pk).exists()
    errors, error_list, form = {}, [], {"movement": "import_abroad"}
    rows = [{"id": n, "seq": "", "quantity": "", "counterpart": "", "sign": "", "errors": {}} for n in range(MAX_LINES)]
    if request.method == "POST" and is_operator:
        rows, lines = _line_rows(request)
        form = {
            k: request.POST.get(k, "").strip()
            for k in ("movement", "internal_no", "declaration_number", "counterpart_book", "reason")
        }
        try:
            lst, created = bonded.declare(request.user, book.number, {**form, "lines": lines})
        except BusinessError as exc:
            if exc.status in (403, 404):
                raise
            errors, _summary = _errors(exc)
            _row_errors(rows, exc)
            error_list = [{"href": _href(p.field, rows), "message": problem_message(p)} for p in exc.problems]
        else:
            if created:
                messages.success(
                    request, _("List %(number)s is declared and waits for customs.") % {"number": lst.number}
                )
            return redirect("bonded:list", lst.number)
    lists = book.lists.select_related("reverses").order_by("-id")[:100]
    return render(
        request,
        "bonded/book.html",
        {
            "book": book,
            "items": book.items.order_by("seq"),
            "lists": lists,
            "is_operator": is_operator,
            "movements": [(v, label) for v, label in InventoryList.Movement.choices if v != "reversal"],
            "form": form,
            "rows": rows,
            "errors": errors,
            "error_list": error_list,
            "gate_lists": [x for x in lists if x.posting == "reserved"],
            "today": timezone.localdate(),
            "month_start": timezone.localdate().replace(day=1),
        },
    )


@page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def list_page(request, number: str):
    lst = bonded.get_list_for(request.user, number)
    errors, error_list = {}, []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "review":
                bonded.review(
                    request.user, number, request.POST.get("outcome", ""), request.POST.get("review_reason", "")
                )
                messages.success(request, _("The decision is recorded."))
            elif action == "reverse":
                rev, _created = bonded.reverse(
                    request.user,
                    number,
                    internal_no=request.POST.get("internal_no", ""),
                    reason=request.POST.get("reason", ""),
                )
                return redirect("bonded:list", rev.number)
        except BusinessError as exc:
            if exc.status in (403, 404):
                raise
            errors, error_list = _errors(exc)
        else:
            return redirect("bonded:list", number)
    return render(
        request,
        "bonded/list.html",
        {
            "lst": lst,
            "lines": lst.lines.select_related("item", "counterpart_item"),
            "is_customs": access.is_customs(request.user),
            "is_operator": lst.book.enterprise.operators.filter(pk=request.user.pk).exists(),
            "postings": lst.postings.select_related("item"),
            "errors": errors,
            "error_list": error_list,
            "notes": lst.release_notes.all(),
        },
    )


@page
@login_required
@require_http_methods(["POST"])
def release_apply(request, number: str):
    try:
        note = bonded.apply_release(
            request.user, number, plate=request.POST.get("plate", ""), list_numbers=request.POST.getlist("lists")
        )
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        for p in exc.problems:
            messages.error(request, problem_message(p))
        return redirect("bonded:book", number)
    return redirect("bonded:release", note.number)


@page
@login_required
def release(request, number: str):
    from zimao.bonded.models import ReleaseNote

    note = ReleaseNote.objects.select_related("book__enterprise").filter(number=number).first()
    if note is None:
        raise not_found("release_note")
    bonded.get_book_for(request.user, note.book.number)  # who may see the book may see its notes
    gate_url = request.build_absolute_uri(reverse("bonded:gate", args=[note.token]))
    qr = segno.make(gate_url, error="m").svg_inline(
        scale=4, title=_("Release note %(number)s") % {"number": note.number}
    )
    return render(
        request,
        "bonded/release.html",
        {"note": note, "lists": note.lists.all(), "qr": qr, "gate_url": gate_url, "records": note.gate_records.all()},
    )


@page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def gate(request, token: str):
    """What the gate keeper sees on scanning: the vehicle, the lists it cites (no prices), and
    whether it may pass."""
    note = bonded.get_release_for_gate(request.user, token)
    problems = []
    if request.method == "POST":
        note, problems = bonded.pass_gate(request.user, token)
        if not problems:
            messages.success(request, _("The vehicle has passed the gate."))
            return redirect("bonded:gate", token)
    else:
        problems = bonded.gate_check(note) if note.status != "passed" else []
    lines = [
        {
            "list": ln.inventory_list.number,
            "description": ln.item.description,
            "quantity": ln.quantity,
            "unit": ln.item.unit,
        }
        for lst in note.lists.all()
        for ln in lst.lines.select_related("item", "inventory_list")
    ]
    return render(
        request, "bonded/gate.html", {"note": note, "lines": lines, "problems": [problem_message(p) for p in problems]}
    )


def _period(request) -> tuple[date, date, dict]:
    today = timezone.localdate()
    errors = {}
    try:
        start = date.fromisoformat(request.GET.get("start") or today.replace(day=1).isoformat())
        end = date.fromisoformat(request.GET.get("end") or today.isoformat())
    except ValueError:
        start, end = today.replace(day=1), today
        errors["start"] = _("Enter dates as YYYY-MM-DD.")
    return start, end, errors


@page
@login_required
def reconciliation(request, number: str):
    start, end, errors = _period(request)
    error_list = []
    rows = []
    if not errors:
        try:
            rows = bonded.reconcile(request.user, number, start, end)
        except BusinessError as exc:
            if exc.status in (403, 404):
                raise
            errors, error_list = _errors(exc)
    else:
        error_list = [{"href": "#f-start", "message": v} for v in errors.values()]
    return render(
        request,
        "bonded/reconciliation.html",
        {
            "book": bonded.get_book_for(request.user, number),
            "rows": rows,
            "start": start,
            "end": end,
            "errors": errors,
            "error_list": error_list,
            "buckets": bonded.BUCKETS,
        },
    )


@page
@login_required
def reconciliation_xlsx(request, number: str):
    """The reconciliation as officials exchange it: one sheet of balances, one of the postings."""
    from openpyxl import Workbook

    start, end, errors = _period(request)
    if errors:
        return redirect("bonded:reconciliation", number)
    rows = bonded.reconcile(request.user, number, start, end)
    wb = Workbook()
    ws = wb.active
    ws.title = "对账 Reconciliation"
    labels = {
        "in": "进 In",
        "out": "出 Out",
        "transfer": "结转 Transfer",
        "processing": "加工 Processing",
        "adjustment": "调整 Adjustment",
        "reversal": "冲正 Reversal",
    }
    ws.append(
        [
            "备案序号 Item",
            "料号 Part no.",
            "商品名称 Description",
            "期初 Opening",
            *[labels[b] for b in bonded.BUCKETS],
            "期末 Closing",
            "平衡 Balanced",
        ]
    )
    for r in rows:
        ws.append(
            [
                r.item.seq,
                r.item.part_no,
                r.item.description,
                r.opening,
                *[r.moves[b] for b in bonded.BUCKETS],
                r.closing,
                "是 yes" if r.balanced else "否 NO",
            ]
        )
    lines = wb.create_sheet("核扣明细 Postings")
    lines.append(["备案序号 Item", "时间 At", "核注清单 List", "业务 Movement", "变动 Change", "结存 Balance"])
    for r in rows:
        for p in r.postings:
            lines.append(
                [
                    r.item.seq,
                    timezone.localtime(p.at).strftime("%Y-%m-%d %H:%M:%S"),
                    p.inventory_list.number,
                    p.inventory_list.get_movement_display(),
                    p.delta,
                    p.balance,
                ]
            )
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="reconciliation-{number}-{start}-{end}.xlsx"'
    return response
