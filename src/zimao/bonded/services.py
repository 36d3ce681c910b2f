"""The bonded zone's rules (综合保税区账册管理), in the order goods meet them.

1. A book (账册) is opened by customs for a zone enterprise; its items (备案序号) are recorded.
2. The enterprise declares a 核注清单 for every movement. The enterprise's own list number
   (企业内部清单编号) is the idempotency key: declaring it again with the same content returns the
   same list; with different content it is refused.
3. Customs accepts (审核通过) or returns (退单) it. Accepting checks stock under row locks:
   what goes out is reserved (预核扣) so no two lists can take the same goods.
4. Lists that cross the fence post when the vehicle that carries them passes the gate with a
   核放单 citing them; the rest (transfers, processing, adjustments, reversals) post at acceptance.
5. Postings are append-only; a mistake is undone by a reversal list, never by an edit.

Every change is one short transaction that locks the book items it touches, in id order (so two
lists on the same items queue rather than deadlock), and is audited.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from zimao.bonded.models import (
    AccountBook,
    BondedEnterprise,
    BookItem,
    ConsumptionNorm,
    GateRecord,
    InventoryList,
    ListLine,
    Posting,
    ReleaseNote,
)
from zimao.core import audit, sequences
from zimao.core.errors import BusinessError, Conflict, Problem, forbidden, not_found

log = logging.getLogger(__name__)

M = InventoryList.Movement
S = InventoryList.Status
P = InventoryList.Posting
Q5 = Decimal("0.00001")
Q4 = Decimal("0.0001")
CENT = Decimal("0.01")

# Which way each movement moves stock on the declaring book, and whether its goods cross the gate.
DIRECTION = {
    M.IMPORT_ABROAD: "I",
    M.DOMESTIC_IN: "I",
    M.EXPORT_ABROAD: "E",
    M.DOMESTIC_OUT: "E",
    M.TRANSFER: "E",
    M.PROCESSING: "I",
    M.ADJUSTMENT: "I",
    M.REVERSAL: "I",
}
CROSSES_GATE = {M.IMPORT_ABROAD, M.EXPORT_ABROAD, M.DOMESTIC_IN, M.DOMESTIC_OUT}
# The movements that are trade (一线 and 二线): counted on the dashboard at their value.
TRADE_MOVEMENTS = CROSSES_GATE
# 二线出区 is an import into the domestic market: the declaration must exist before customs accepts.
NEEDS_DECLARATION = {M.DOMESTIC_OUT, M.DOMESTIC_IN}
CURRENCIES = {
    "CNY",
    "USD",
    "EUR",
    "JPY",
    "KRW",
    "HKD",
    "GBP",
    "AUD",
    "SGD",
    "THB",
    "MYR",
    "IDR",
    "VND",
    "PHP",
    "NZD",
    "BND",
    "KHR",
    "LAK",
    "MMK",
}


class _Problems:
    """Collects every problem of one request, so the user sees them all at once."""

    def __init__(self):
        self.items: list[Problem] = []

    def add(self, field: str, code: str, zh: str, en: str) -> None:
        self.items.append(Problem(field, code, zh, en))

    def raise_if_any(self, status: int = 422) -> None:
        if self.items:
            raise BusinessError(*self.items, status=status)

    def text(
        self, data: dict, key: str, label: tuple[str, str], *, max_length: int, required: bool = True, prefix: str = ""
    ) -> str:
        value = data.get(key)
        field = f"{prefix}{key}"
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(field, "required", f"请填写{label[0]}。", f"Enter the {label[1]}.")
            return ""
        if not isinstance(value, str):
            self.add(field, "type", f"{label[0]}应为文字。", f"The {label[1]} must be text.")
            return ""
        value = value.strip()
        if len(value) > max_length:
            self.add(
                field,
                "too_long",
                f"{label[0]}不能超过{max_length}个字符。",
                f"The {label[1]} must be at most {max_length} characters.",
            )
        return value

    def decimal(
        self,
        value,
        field: str,
        label: tuple[str, str],
        *,
        places: Decimal,
        positive: bool = True,
        maximum: Decimal = Decimal("1e12"),
    ) -> Decimal | None:
        if isinstance(value, bool) or value is None or value == "":
            self.add(field, "required", f"请填写{label[0]}。", f"Enter the {label[1]}.")
            return None
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            self.add(field, "number", f"{label[0]}应为数字。", f"The {label[1]} must be a number.")
            return None
        if not number.is_finite() or number.quantize(places, rounding=ROUND_HALF_UP) != number:
            self.add(field, "places", f"{label[0]}的小数位过多。", f"The {label[1]} has too many decimal places.")
            return None
        if (positive and number <= 0) or number < 0 or number >= maximum:
            self.add(
                field,
                "range",
                f"{label[0]}应大于0且小于{maximum:,.0f}。",
                f"The {label[1]} must be more than 0 and less than {maximum:,.0f}.",
            )
            return None
        return number


def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Who may do what — each sees only what is theirs


def enterprises_of(user):
    return BondedEnterprise.objects.filter(operators=user) if user.is_authenticated else BondedEnterprise.objects.none()


def books_for(user):
    """The books a user may see: an operator their enterprises' books; customs and the gate all."""
    from zimao.bonded.access import is_customs, is_gate

    if is_customs(user) or is_gate(user):
        return AccountBook.objects.all()
    return AccountBook.objects.filter(enterprise__operators=user)


def get_book_for(user, number: str, *, operate: bool = False) -> AccountBook:
    """A book the user may see (``operate``: declare on — its own enterprise's operators only)."""
    from zimao.bonded.access import is_customs

    book = AccountBook.objects.select_related("enterprise").filter(number=number).first()
    if book is None:
        raise not_found("book")
    is_operator = book.enterprise.operators.filter(pk=user.pk).exists()
    if not (is_operator or is_customs(user)):
        raise not_found("book")  # someone else's book looks like no book at all
    if operate and not is_operator:
        raise forbidden("book")
    return book


def get_list_for(user, number: str) -> InventoryList:
    from zimao.bonded.access import is_customs

    lst = InventoryList.objects.select_related("book__enterprise").filter(number=number).first()
    if lst is None or not (is_customs(user) or lst.book.enterprise.operators.filter(pk=user.pk).exists()):
        raise not_found("list")
    return lst


def _require_customs(user) -> None:
    from zimao.bonded.access import is_customs

    if not is_customs(user):
        raise forbidden("customs")


# ---------------------------------------------------------------------------------------------
# Books and items — opened by customs


def register_enterprise(actor, *, uscc: str, customs_code: str, name: str, operators=()) -> BondedEnterprise:
    """Record a zone enterprise (idempotent by USCC) and who keeps its books."""
    from zimao.core.identifiers import is_valid_uscc

    p = _Problems()
    if not is_valid_uscc(uscc):
        p.add("uscc", "invalid", "统一社会信用代码无效。", "The unified social credit code is not valid.")
    if not (len(customs_code) == 10 and customs_code.isalnum()):
        p.add(
            "customs_code", "invalid", "海关编码应为10位字母或数字。", "The customs code must be 10 letters or digits."
        )
    p.raise_if_any()
    with transaction.atomic():
        ent, created = BondedEnterprise.objects.get_or_create(
            uscc=uscc, defaults={"customs_code": customs_code, "name": name}
        )
        if operators:
            ent.operators.add(*operators)
        if created:
            audit.record(actor, "bonded.enterprise_registered", ent, after={"uscc": uscc, "name": name})
    return ent


def open_book(
    actor, *, enterprise: BondedEnterprise, kind: str, warehouse: str, customs_district: str, number: str = ""
) -> AccountBook:
    """Open a book (账册设立): T + 关区 + W + 6 digits for logistics, H + 关区 + P + 6 for processing."""
    p = _Problems()
    if kind not in AccountBook.Kind.values:
        p.add(
            "kind",
            "choice",
            "账册类型应为T（物流）或H（加工）。",
            "The book type must be T (logistics) or H (processing).",
        )
    if not (len(customs_district) == 4 and customs_district.isdigit()):
        p.add(
            "customs_district",
            "invalid",
            "主管海关应为4位关区代码。",
            "The supervising customs must be a 4-digit district code.",
        )
    p.raise_if_any()
    with transaction.atomic():
        if not number:
            serial = sequences.next_value(f"bonded.book.{kind}{customs_district}")
            number = f"{kind}{customs_district}{'W' if kind == 'T' else 'P'}{serial:06d}"
        book, created = AccountBook.objects.get_or_create(
            number=number,
            defaults={
                "kind": kind,
                "enterprise": enterprise,
                "warehouse": warehouse,
                "customs_district": customs_district,
            },
        )
        if created:
            audit.record(actor, "bonded.book_opened", book, after={"enterprise": enterprise.uscc, "kind": kind})
    return book


def add_item(actor, book: AccountBook, data: dict) -> BookItem:
    """Record a book line (备案) — an item the book may hold, with zero stock."""
    p = _Problems()
    part_no = p.text(data, "part_no", ("料号", "part number"), max_length=40)
    hs = p.text(data, "hs_code", ("商品编码", "commodity code"), max_length=10)
    if hs and not (hs.isdigit() and len(hs) == 10):
        p.add("hs_code", "invalid", "商品编码应为10位数字。", "The commodity code must be 10 digits.")
    description = p.text(data, "description", ("商品名称", "description"), max_length=200)
    unit = p.text(data, "unit", ("申报单位", "unit"), max_length=3)
    if unit and not (unit.isdigit() and len(unit) == 3):
        p.add(
            "unit",
            "invalid",
            "申报单位应为3位代码（如035千克、007个）。",
            "The unit must be a 3-digit code (e.g. 035 kg, 007 piece).",
        )
    price = p.decimal(data.get("unit_price"), "unit_price", ("申报单价", "unit price"), places=Q4)
    currency = _currency(p, data.get("currency"))
    origin = p.text(data, "origin_country", ("原产国", "country of origin"), max_length=3)
    kind = data.get("kind") or BookItem.Kind.MATERIAL
    if kind not in BookItem.Kind.values:
        p.add("kind", "choice", "料件成品标志应为I（料件）或E（成品）。", "Kind must be I (material) or E (product).")
    p.raise_if_any()
    with transaction.atomic():
        existing = BookItem.objects.filter(book=book, part_no=part_no).first()
        if existing:
            return existing
        seq = (BookItem.objects.filter(book=book).order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        item = BookItem.objects.create(
            book=book,
            seq=seq,
            kind=kind,
            part_no=part_no,
            hs_code=hs,
            description=description,
            unit=unit,
            unit_price=price,
            currency=currency,
            origin_country=origin,
        )
        audit.record(actor, "bonded.item_recorded", item, after={"book": book.number, "seq": seq, "part_no": part_no})
    return item


def set_norm(
    actor, *, product: BookItem, material: BookItem, net, tangible_loss=0, intangible_loss=0, bonded_ratio=1
) -> ConsumptionNorm:
    """Declare a 单耗 (a new version each time; the latest is used)."""
    p = _Problems()
    if (
        product.book_id != material.book_id
        or product.kind != BookItem.Kind.PRODUCT
        or material.kind != BookItem.Kind.MATERIAL
    ):
        p.add(
            "norm", "items", "单耗应为同一账册中成品对料件。", "A norm links a product to a material of the same book."
        )
    net = p.decimal(net, "net", ("净耗", "net consumption"), places=Q5)
    rates = {}
    for key, value, label in (
        ("tangible_loss", tangible_loss, ("有形损耗率", "tangible loss rate")),
        ("intangible_loss", intangible_loss, ("无形损耗率", "intangible loss rate")),
        ("bonded_ratio", bonded_ratio, ("保税料件比例", "bonded share")),
    ):
        rates[key] = p.decimal(
            value, key, label, places=Decimal("0.000001"), positive=key == "bonded_ratio", maximum=Decimal("1.000001")
        )
    if (
        rates.get("tangible_loss") is not None
        and rates.get("intangible_loss") is not None
        and rates["tangible_loss"] + rates["intangible_loss"] >= 1
    ):
        p.add("tangible_loss", "range", "损耗率合计应小于1。", "The loss rates together must be less than 1.")
    p.raise_if_any()
    with transaction.atomic():
        version = (
            ConsumptionNorm.objects.filter(product=product, material=material)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        ) + 1
        norm = ConsumptionNorm.objects.create(product=product, material=material, version=version, net=net, **rates)
        audit.record(actor, "bonded.norm_declared", norm, after={"version": version, "net": net, **rates})
    return norm


def unit_consumption(norm: ConsumptionNorm) -> Decimal:
    """单耗 = 净耗 ÷ (1 − 有形损耗率 − 无形损耗率)."""
    return norm.net / (Decimal(1) - norm.tangible_loss - norm.intangible_loss)


def _currency(p: _Problems, value) -> str:
    if not isinstance(value, str) or value.upper() not in CURRENCIES:
        p.add(
            "currency",
            "choice",
            "币制应为ISO 4217三位字母代码（如USD、CNY、JPY）。",
            "The currency must be an ISO 4217 code such as USD, CNY or JPY.",
        )
        return ""
    return value.upper()


# ---------------------------------------------------------------------------------------------
# 核注清单 — declared by the enterprise


@dataclass
class _Line:
    item: BookItem
    quantity: Decimal
    unit_price: Decimal
    currency: str
    counterpart_item: BookItem | None = None
    sign: int = 0


def _parse_lines(p: _Problems, book: AccountBook, movement: str, lines, counterpart: AccountBook | None) -> list[_Line]:
    if not isinstance(lines, list) or not lines:
        p.add("lines", "required", "清单至少需要一行商品。", "A list needs at least one line.")
        return []
    if len(lines) > 500:
        p.add("lines", "too_many", "一张清单最多500行。", "A list has at most 500 lines.")
        return []
    items = {i.seq: i for i in BookItem.objects.filter(book=book)}
    other = {i.seq: i for i in BookItem.objects.filter(book=counterpart)} if counterpart else {}
    parsed, seen = [], set()
    for n, raw in enumerate(lines):
        f = f"lines[{n}]"
        if not isinstance(raw, dict):
            p.add(f, "type", f"第{n + 1}行格式不正确。", f"Line {n + 1} is not an object.")
            continue
        seq = raw.get("item_seq")
        item = items.get(seq) if isinstance(seq, int) and not isinstance(seq, bool) else None
        if item is None:
            p.add(
                f"{f}.item_seq",
                "unknown",
                f"第{n + 1}行：账册中没有该备案序号。",
                f"Line {n + 1}: the book has no item with this record number.",
            )
            continue
        if seq in seen:
            p.add(
                f"{f}.item_seq",
                "duplicate",
                f"第{n + 1}行：同一备案序号重复。",
                f"Line {n + 1}: the item appears twice.",
            )
        seen.add(seq)
        qty = p.decimal(raw.get("quantity"), f"{f}.quantity", ("数量", "quantity"), places=Q5)
        price = raw.get("unit_price", item.unit_price)
        price = p.decimal(price, f"{f}.unit_price", ("单价", "unit price"), places=Q4)
        sign = 0
        if movement == M.ADJUSTMENT:
            sign = raw.get("sign")
            if sign not in (1, -1):
                p.add(
                    f"{f}.sign",
                    "choice",
                    f"第{n + 1}行：盘盈填1，盘亏填-1。",
                    f"Line {n + 1}: sign is 1 for a surplus and -1 for a shortage.",
                )
        counter_item = None
        if movement == M.TRANSFER:
            cseq = raw.get("counterpart_item_seq")
            counter_item = other.get(cseq) if isinstance(cseq, int) and not isinstance(cseq, bool) else None
            if counter_item is None:
                p.add(
                    f"{f}.counterpart_item_seq",
                    "unknown",
                    f"第{n + 1}行：转入账册中没有该备案序号。",
                    f"Line {n + 1}: the receiving book has no item with this record number.",
                )
            elif counter_item.hs_code != item.hs_code:
                p.add(
                    f"{f}.counterpart_item_seq",
                    "mismatch",
                    f"第{n + 1}行：转入商品编码与转出不一致。",
                    f"Line {n + 1}: the receiving item has another commodity code.",
                )
        if movement == M.PROCESSING and item.kind != BookItem.Kind.PRODUCT:
            p.add(
                f"{f}.item_seq",
                "kind",
                f"第{n + 1}行：加工清单只列成品，料件按单耗扣减。",
                f"Line {n + 1}: a processing list names products; materials are deducted by the norms.",
            )
        elif movement == M.PROCESSING and not ConsumptionNorm.objects.filter(product=item).exists():
            p.add(
                f"{f}.item_seq",
                "no_norm",
                f"第{n + 1}行：该成品尚未申报单耗。",
                f"Line {n + 1}: no consumption norm has been declared for this product.",
            )
        if qty is not None and price is not None:
            parsed.append(_Line(item, qty, price, item.currency, counter_item, sign))
    return parsed


def declare(user, book_number: str, data: dict) -> tuple[InventoryList, bool]:
    """Declare a 核注清单 (申报). Returns (list, created). Same internal number and content → the
    same list; same number, other content → 422 (the number already means something else)."""
    book = get_book_for(user, book_number, operate=True)
    p = _Problems()
    movement = data.get("movement")
    if movement not in M.values or movement == M.REVERSAL:
        p.add(
            "movement",
            "choice",
            "请选择业务类型（进境、出境、内销、入区、结转、加工、盘点调整）。",
            "Choose the movement (in from abroad, out to abroad, domestic sale, domestic in, transfer, processing, adjustment).",
        )
        p.raise_if_any()
    internal_no = p.text(data, "internal_no", ("企业内部清单编号", "your own list number"), max_length=40)
    declaration = p.text(
        data,
        "declaration_number",
        ("报关单号", "customs declaration number"),
        max_length=40,
        required=movement in NEEDS_DECLARATION,
    )
    reason = p.text(data, "reason", ("原因", "reason"), max_length=500, required=movement == M.ADJUSTMENT)
    counterpart = None
    if movement == M.TRANSFER:
        cnum = data.get("counterpart_book")
        counterpart = AccountBook.objects.filter(number=cnum).first() if isinstance(cnum, str) else None
        if counterpart is None or counterpart.pk == book.pk:
            p.add(
                "counterpart_book",
                "unknown",
                "请填写另一本有效的转入账册编号。",
                "Enter another existing book to transfer to.",
            )
    if movement == M.PROCESSING and book.kind != AccountBook.Kind.PROCESSING:
        p.add("movement", "book_kind", "只有加工账册可以申报加工。", "Only a processing book can declare processing.")
    if book.suspended:
        p.add("book", "suspended", "该账册已被海关暂停。", "Customs has suspended this book.")
    lines = _parse_lines(p, book, movement, data.get("lines"), counterpart)
    if declaration and movement in NEEDS_DECLARATION:
        _check_declaration(p, user, declaration)
    p.raise_if_any()
    payload = {
        "movement": movement,
        "declaration": declaration,
        "reason": reason,
        "counterpart": counterpart.number if counterpart else "",
        "lines": [
            (
                ln.item.seq,
                str(ln.quantity),
                str(ln.unit_price),
                ln.sign,
                ln.counterpart_item.seq if ln.counterpart_item else None,
            )
            for ln in lines
        ],
    }
    fp = _fingerprint(payload)
    existing = InventoryList.objects.filter(book=book, internal_no=internal_no).first()
    if existing:
        return _same_or_refuse(existing, fp), False
    direction = DIRECTION[movement]
    try:
        with transaction.atomic():
            lst = _create_list(
                user, book, movement, direction, internal_no, fp, declaration, counterpart, reason, None, lines
            )
    except IntegrityError:  # the same number declared concurrently: the first one won
        existing = InventoryList.objects.get(book=book, internal_no=internal_no)
        return _same_or_refuse(existing, fp), False
    return lst, True


def _same_or_refuse(existing: InventoryList, fp: str) -> InventoryList:
    if existing.fingerprint != fp:
        raise BusinessError(
            Problem(
                "internal_no",
                "reused",
                "该企业内部清单编号已用于另一张内容不同的清单。",
                "This list number was already used for a list with other content.",
            ),
            status=422,
        )
    return existing


def _create_list(
    user, book, movement, direction, internal_no, fp, declaration, counterpart, reason, reverses, lines: list[_Line]
) -> InventoryList:
    lst = InventoryList.objects.create(
        number=f"TMP{secrets.token_hex(7)}",
        book=book,
        movement=movement,
        direction=direction,
        internal_no=internal_no,
        fingerprint=fp,
        declaration_number=declaration or "",
        counterpart_book=counterpart,
        reason=reason or "",
        reverses=reverses,
        declared_by=user,
    )
    ListLine.objects.bulk_create(
        ListLine(
            inventory_list=lst,
            item=ln.item,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            currency=ln.currency,
            counterpart_item=ln.counterpart_item,
            sign=ln.sign,
        )
        for ln in lines
    )
    # The number is taken last: the counter row is held for the shortest time.
    year = f"{timezone.localdate():%y}"
    serial = sequences.next_value(f"bonded.list.{book.customs_district}{year}{direction}")
    lst.number = f"QD{book.customs_district}{year}{direction}{serial:09d}"
    lst.save(update_fields=["number"])
    audit.record(
        user, "bonded.list_declared", lst, after={"number": lst.number, "movement": movement, "lines": len(lines)}
    )
    return lst


def _check_declaration(p: _Problems, user, number: str) -> None:
    """二线 movements cite a customs declaration lodged through the trade single window."""
    from zimao.trade.window import services as window

    try:
        window.get_declaration(user, number)
    except BusinessError:
        p.add(
            "declaration_number",
            "unknown",
            "未找到该报关单（须通过国际贸易“单一窗口”申报）。",
            "No such customs declaration (lodge it through the trade single window first).",
        )


def reverse(user, list_number: str, *, internal_no: str, reason: str) -> tuple[InventoryList, bool]:
    """Undo a posted list by a new one with the opposite effect (冲正) — the original stays."""
    original = get_list_for(user, list_number)
    book = get_book_for(user, original.book.number, operate=True)
    p = _Problems()
    reason = p.text({"reason": reason}, "reason", ("冲正原因", "reason for the reversal"), max_length=500)
    internal_no = p.text(
        {"internal_no": internal_no}, "internal_no", ("企业内部清单编号", "your own list number"), max_length=40
    )
    if original.movement == M.REVERSAL:
        p.add("list", "reversal", "冲正清单不能再冲正。", "A reversal cannot itself be reversed.")
    elif original.posting != P.POSTED:
        p.add(
            "list",
            "not_posted",
            "只有已核扣的清单可以冲正；未核扣的清单由海关退单。",
            "Only a posted list can be reversed; customs returns one that is not posted.",
        )
    p.raise_if_any()
    fp = _fingerprint({"reverses": original.number, "reason": reason})
    existing = InventoryList.objects.filter(book=book, internal_no=internal_no).first()
    if existing:
        return _same_or_refuse(existing, fp), False
    if InventoryList.objects.filter(reverses=original).exists():
        raise Conflict(Problem("list", "already_reversed", "该清单已被冲正。", "This list has already been reversed."))
    lines = [
        _Line(ln.item, ln.quantity, ln.unit_price, ln.currency, ln.counterpart_item, ln.sign)
        for ln in original.lines.select_related("item", "counterpart_item")
    ]
    try:
        with transaction.atomic():
            lst = _create_list(
                user,
                book,
                M.REVERSAL,
                "I" if original.direction == "E" else "E",
                internal_no,
                fp,
                "",
                original.counterpart_book,
                reason,
                original,
                lines,
            )
    except IntegrityError:
        raise Conflict(
            Problem("list", "already_reversed", "该清单已被冲正。", "This list has already been reversed.")
        ) from None
    return lst, True


# ---------------------------------------------------------------------------------------------
# Customs review and posting


def _effects(lst: InventoryList) -> list[tuple[BookItem, Decimal]]:
    """(item, signed quantity) for every stock change the list makes, on every book it touches."""
    lines = list(lst.lines.select_related("item", "counterpart_item"))
    if lst.movement == M.REVERSAL:
        return [(item, -delta) for item, delta in _effects(lst.reverses)]
    out: list[tuple[BookItem, Decimal]] = []
    for ln in lines:
        if lst.movement in (M.IMPORT_ABROAD, M.DOMESTIC_IN):
            out.append((ln.item, ln.quantity))
        elif lst.movement in (M.EXPORT_ABROAD, M.DOMESTIC_OUT):
            out.append((ln.item, -ln.quantity))
        elif lst.movement == M.TRANSFER:
            out += [(ln.item, -ln.quantity), (ln.counterpart_item, ln.quantity)]
        elif lst.movement == M.ADJUSTMENT:
            out.append((ln.item, ln.quantity * ln.sign))
        elif lst.movement == M.PROCESSING:
            out.append((ln.item, ln.quantity))
            for norm in _latest_norms(ln.item):
                consumed = (ln.quantity * unit_consumption(norm) * norm.bonded_ratio).quantize(Q5, ROUND_HALF_UP)
                out.append((norm.material, -consumed))
    merged: dict[int, list] = {}
    for item, delta in out:
        merged.setdefault(item.pk, [item, Decimal(0)])[1] += delta
    return [(item, delta) for item, delta in merged.values() if delta]


def _latest_norms(product: BookItem) -> list[ConsumptionNorm]:
    latest: dict[int, ConsumptionNorm] = {}
    for norm in ConsumptionNorm.objects.filter(product=product).select_related("material").order_by("version"):
        latest[norm.material_id] = norm
    return list(latest.values())


def _locked(item_ids) -> dict[int, BookItem]:
    """Lock the items in id order — the same order everywhere, so writers queue, never deadlock."""
    return {i.pk: i for i in BookItem.objects.select_for_update().filter(pk__in=sorted(item_ids)).order_by("pk")}


def review(user, list_number: str, outcome: str, reason: str = "") -> InventoryList:
    """Customs accepts (审核通过) or returns (退单) a declared list. Repeating the same decision is
    harmless; a contrary one on a decided list is refused."""
    _require_customs(user)
    p = _Problems()
    if outcome not in ("accept", "return"):
        p.add("outcome", "choice", "审核结果应为通过或退单。", "The outcome must be accept or return.")
    reason = p.text({"reason": reason}, "reason", ("退单原因", "reason"), max_length=500, required=outcome == "return")
    p.raise_if_any()
    target = S.ACCEPTED if outcome == "accept" else S.RETURNED
    with transaction.atomic():
        lst = InventoryList.objects.select_for_update().filter(number=list_number).first()
        if lst is None:
            raise not_found("list")
        if lst.status == target:
            return lst  # a double click
        if lst.status != S.DECLARED:
            raise Conflict(Problem("outcome", "decided", "该清单已审核。", "This list has already been decided."))
        now = timezone.now()
        if target == S.ACCEPTED:
            effects = _effects(lst)
            items = _locked(item.pk for item, _ in effects)
            problems = []
            for item, delta in effects:
                locked = items[item.pk]
                if delta < 0 and locked.on_hand - locked.reserved + delta < 0:
                    problems.append(
                        Problem(
                            "lines",
                            "insufficient",
                            f"备案序号{locked.seq}（{locked.description}）可用库存{locked.on_hand - locked.reserved}，不足{-delta}。",
                            f"Item {locked.seq} ({locked.description}) has {locked.on_hand - locked.reserved} available, "
                            f"less than {-delta}.",
                        )
                    )
            if problems:
                raise BusinessError(*problems, status=409)
            if lst.movement in CROSSES_GATE:
                for item, delta in effects:
                    locked = items[item.pk]
                    if delta < 0:
                        locked.reserved += -delta
                    else:
                        locked.incoming += delta
                    locked.save(update_fields=["reserved", "incoming"])
                lst.posting = P.RESERVED
            else:
                _post(lst, effects, items, now, reserved=False)
        lst.status, lst.reviewed_by, lst.reviewed_at = target, user, now
        lst.review_reason = reason
        lst.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "posting", "posted_at"])
        audit.record(
            user,
            f"bonded.list_{'accepted' if target == S.ACCEPTED else 'returned'}",
            lst,
            before={"status": S.DECLARED},
            after={"status": target, "reason": reason},
        )
    return lst


def _post(lst: InventoryList, effects, items: dict[int, BookItem], now: datetime, *, reserved: bool) -> None:
    """Write the postings of a list and move the items' stock (核扣), inside the caller's lock."""
    rows = []
    for item, delta in effects:
        locked = items[item.pk]
        locked.on_hand += delta
        if reserved and delta < 0:
            locked.reserved += delta
        elif reserved:
            locked.incoming -= delta
        locked.save(update_fields=["on_hand", "reserved", "incoming"])
        rows.append(
            Posting(
                item=locked,
                inventory_list=lst,
                delta=delta,
                balance=locked.on_hand,
                at=now,
                value_usd=_usd(lst, locked, delta, now) if lst.movement in TRADE_MOVEMENTS else None,
            )
        )
    Posting.objects.bulk_create(rows)
    lst.posting, lst.posted_at = P.POSTED, now
    from zimao.bonded import indicators

    indicators.list_posted(lst, rows)


def _usd(lst: InventoryList, item: BookItem, delta: Decimal, now: datetime) -> Decimal | None:
    """The line's value in US dollars at the customs rate of the posting's month (None if not entered)."""
    line = next((ln for ln in lst.lines.all() if ln.item_id == item.pk), None)
    if line is None:
        return None
    return to_usd(abs(delta) * line.unit_price, line.currency, timezone.localtime(now).date())


def to_usd(amount: Decimal, currency: str, on: date) -> Decimal | None:
    from zimao.trade.services import rate_for

    if currency == "USD":
        return amount.quantize(CENT)
    rate, usd = rate_for(currency, on), rate_for("USD", on)
    if rate is None or not usd:
        return None
    return (amount * rate / usd).quantize(CENT)


# ---------------------------------------------------------------------------------------------
# 核放单 and the gate


def apply_release(user, book_number: str, *, plate: str, list_numbers: list[str]) -> ReleaseNote:
    """A vehicle's release note (核放单申请), citing the lists whose goods it carries."""
    book = get_book_for(user, book_number, operate=True)
    p = _Problems()
    plate = p.text({"plate": plate}, "plate", ("车牌号", "vehicle plate"), max_length=16)
    if not isinstance(list_numbers, list) or not list_numbers or len(list_numbers) > 50:
        p.add("lists", "required", "核放单应列明1至50张核注清单。", "A release note cites 1 to 50 lists.")
        p.raise_if_any()
    lists = list(InventoryList.objects.filter(book=book, number__in=list_numbers))
    if len(lists) != len(set(list_numbers)):
        p.add("lists", "unknown", "有清单不属于该账册或不存在。", "A list does not exist or belongs to another book.")
    directions = {lst.direction for lst in lists}
    if len(directions) > 1:
        p.add(
            "lists",
            "direction",
            "一张核放单只能同为进区或出区。",
            "A release note carries goods in one direction only.",
        )
    for lst in lists:
        if lst.movement not in CROSSES_GATE:
            p.add("lists", "no_gate", f"清单{lst.number}不经卡口。", f"List {lst.number} does not pass the gate.")
        elif lst.posting == P.POSTED:
            p.add(
                "lists", "passed", f"清单{lst.number}的货物已过卡。", f"The goods of list {lst.number} already passed."
            )
    p.raise_if_any()
    with transaction.atomic():
        serial = sequences.next_value(f"bonded.release.{book.customs_district}")
        note = ReleaseNote.objects.create(
            number=f"HF{book.customs_district}{timezone.localdate():%Y%m%d}{serial:010d}",
            token=secrets.token_urlsafe(16)[:22],
            book=book,
            direction=directions.pop(),
            plate=plate.upper(),
            applied_by=user,
        )
        note.lists.set(lists)
        audit.record(user, "bonded.release_applied", note, after={"plate": note.plate, "lists": sorted(list_numbers)})
    return note


def gate_check(note: ReleaseNote) -> list[Problem]:
    """What holds a vehicle: a list not accepted by customs, or a 二线 declaration not released."""
    from zimao.trade.window import services as window

    problems = []
    for lst in note.lists.all():
        if lst.status != S.ACCEPTED:
            problems.append(
                Problem(
                    "lists",
                    "not_accepted",
                    f"清单{lst.number}尚未经海关审核通过。",
                    f"List {lst.number} has not been accepted by customs.",
                )
            )
        elif lst.movement in NEEDS_DECLARATION and not window.declaration_released(lst.declaration_number):
            problems.append(
                Problem(
                    "lists",
                    "not_released",
                    f"清单{lst.number}关联的报关单尚未放行。",
                    f"The customs declaration of list {lst.number} has not been released.",
                )
            )
    return problems


def get_release_for_gate(user, token: str) -> ReleaseNote:
    from zimao.bonded.access import is_gate

    if not is_gate(user):
        raise forbidden("gate")
    note = ReleaseNote.objects.select_related("book__enterprise").filter(token=token).first()
    if note is None:
        raise not_found("release_note")
    return note


def pass_gate(user, token: str) -> tuple[ReleaseNote, list[Problem]]:
    """The gate keeper scans the note: the vehicle passes and its lists post (核扣), or it is held
    with the reasons. A second scan of a passed note changes nothing."""
    note = get_release_for_gate(user, token)
    with transaction.atomic():
        note = ReleaseNote.objects.select_for_update().get(pk=note.pk)
        if note.status == ReleaseNote.Status.PASSED:
            return note, []
        problems = gate_check(note)
        if problems:
            note.status = ReleaseNote.Status.HELD
            note.save(update_fields=["status"])
            GateRecord.objects.create(
                release_note=note, keeper=user, passed=False, reasons=[pr.as_dict() for pr in problems]
            )
            audit.record(user, "bonded.gate_held", note, after={"reasons": [pr.code for pr in problems]})
            return note, problems
        now = timezone.now()
        lists = list(note.lists.select_for_update().order_by("pk"))
        effects = {lst.pk: _effects(lst) for lst in lists if lst.posting == P.RESERVED}
        items = _locked({item.pk for eff in effects.values() for item, _ in eff})
        for lst in lists:
            if lst.pk in effects:
                _post(lst, effects[lst.pk], items, now, reserved=True)
                lst.save(update_fields=["posting", "posted_at"])
        note.status = ReleaseNote.Status.PASSED
        note.save(update_fields=["status"])
        GateRecord.objects.create(release_note=note, keeper=user, passed=True)
        audit.record(user, "bonded.gate_passed", note, after={"lists": [lst.number for lst in lists]})
    return note, []


# ---------------------------------------------------------------------------------------------
# Reconciliation (对账): opening + in − out ± processing ± adjustments = closing, item by item

BUCKET = {
    M.IMPORT_ABROAD: "in",
    M.DOMESTIC_IN: "in",
    M.EXPORT_ABROAD: "out",
    M.DOMESTIC_OUT: "out",
    M.TRANSFER: "transfer",
    M.PROCESSING: "processing",
    M.ADJUSTMENT: "adjustment",
    M.REVERSAL: "reversal",
}
BUCKETS = ("in", "out", "transfer", "processing", "adjustment", "reversal")


@dataclass
class ReconciledItem:
    item: BookItem
    opening: Decimal
    moves: dict
    closing: Decimal
    postings: list

    @property
    def computed(self) -> Decimal:
        return self.opening + sum(self.moves.values(), Decimal(0))

    @property
    def balanced(self) -> bool:
        return self.computed == self.closing


def reconcile(user, book_number: str, start: date, end: date) -> list[ReconciledItem]:
    """Every item of the book over [start, end]: opening, each kind of movement, closing, and the
    postings (each with its list) that explain the difference."""
    book = get_book_for(user, book_number)
    p = _Problems()
    for key, day in (("start", start), ("end", end)):
        if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            p.add(key, "range", "日期应在2000年至2100年之间。", "The date must be between 2000 and 2100.")
    if end < start:
        p.add("end", "range", "截止日期不能早于开始日期。", "The end date must not be before the start date.")
    p.raise_if_any()
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, datetime.min.time(), tz)
    until = datetime.combine(end, datetime.max.time(), tz)
    out = []
    for item in book.items.order_by("seq"):
        opening = item.postings.filter(at__lt=since).aggregate(s=Sum("delta"))["s"] or Decimal(0)
        rows = list(
            item.postings.filter(at__gte=since, at__lte=until).select_related("inventory_list").order_by("at", "id")
        )
        moves = {b: Decimal(0) for b in BUCKETS}
        for row in rows:
            moves[BUCKET[row.inventory_list.movement]] += row.delta
        closing = item.postings.filter(at__lte=until).aggregate(s=Sum("delta"))["s"] or Decimal(0)
        out.append(ReconciledItem(item, opening, moves, closing, rows))
    return out


def discrepancies(user) -> list[dict]:
    """For customs: books whose stock differs from their postings, lists accepted but not yet
    through the gate, and vehicles held — each with what to look at."""
    _require_customs(user)
    found = []
    for item in BookItem.objects.select_related("book").annotate(posted=Sum("postings__delta")):
        if (item.posted or Decimal(0)) != item.on_hand:
            found.append(
                {
                    "kind": "stock",
                    "book": item.book.number,
                    "ref": f"#{item.seq}",
                    "zh": f"备案序号{item.seq}库存{item.on_hand}与核扣合计{item.posted or 0}不符",
                    "en": f"item {item.seq}: stock {item.on_hand} differs from its postings {item.posted or 0}",
                }
            )
    for lst in InventoryList.objects.filter(status=S.ACCEPTED, posting=P.RESERVED).select_related("book"):
        found.append(
            {
                "kind": "waiting",
                "book": lst.book.number,
                "ref": lst.number,
                "zh": "已审核通过、货物尚未过卡",
                "en": "accepted; goods not yet through the gate",
            }
        )
    for note in ReleaseNote.objects.filter(status=ReleaseNote.Status.HELD).select_related("book"):
        found.append(
            {
                "kind": "held",
                "book": note.book.number,
                "ref": note.number,
                "zh": f"车辆{note.plate}在卡口被拦下",
                "en": f"vehicle {note.plate} held at the gate",
            }
        )
    return found


def lists_waiting_for(user):
    _require_customs(user)
    return InventoryList.objects.filter(status=S.DECLARED).select_related("book__enterprise").order_by("id")


def missing_rates() -> list[dict]:
    """Trade postings whose month has no customs rate yet: their value is not counted until it is
    entered (``zimao bonded revalue`` then counts them) — shown as a warning, never as 0."""
    rows = (
        Posting.objects.filter(value_usd__isnull=True, inventory_list__movement__in=list(TRADE_MOVEMENTS))
        .select_related("inventory_list")
        .order_by("at")
    )
    return [
        {
            "list": r.inventory_list.number,
            "at": r.at,
            "currency": next((ln.currency for ln in r.inventory_list.lines.all() if ln.item_id == r.item_id), ""),
        }
        for r in rows
    ]


def revalue() -> int:
    """Value the trade postings whose rate was missing, now that it may have been entered."""
    from zimao.bonded import indicators

    count = 0
    for row in Posting.objects.filter(
        value_usd__isnull=True, inventory_list__movement__in=list(TRADE_MOVEMENTS)
    ).select_related("inventory_list", "item"):
        value = _usd(row.inventory_list, row.item, row.delta, row.at)
        if value is not None:
            with transaction.atomic():
                Posting.objects.filter(pk=row.pk, value_usd__isnull=True).update(value_usd=value)
                row.value_usd = value
                indicators.posting_valued(row)
            count += 1
    return count


def warehouse_use() -> dict:
    """Books open, and how many hold goods now."""
    books = AccountBook.objects.count()
    in_use = AccountBook.objects.filter(Q(items__on_hand__gt=0)).distinct().count()
    return {"books": books, "in_use": in_use}
