"""The bonded zone over REST — 综合保税区接口: books, 核注清单 (declare, review, reverse), 核放单 and
the gate, reconciliation. An enterprise's system (WMS/ERP) declares with its own list number as
the idempotency key; customs and the gate act with their own tokens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from zimao.bonded import services as bonded
from zimao.bonded.models import AccountBook, BookItem, InventoryList, ReleaseNote
from zimao.core.dates import ApiDate
from zimao.core.errors import COMMON_ERRORS, ErrorOut

prefix = "/bonded/"
router = Router(tags=["bonded"])

ERRORS = {**COMMON_ERRORS, 409: ErrorOut}
BookNumber = Annotated[str, Path(description="bonded account book number 账册编号, e.g. T4101W000001")]
ListNumber = Annotated[str, Path(description="inventory write-off list number 核注清单编号 (QD…)")]
GateToken = Annotated[str, Path(description="the token in a release note's QR code 核放单二维码令牌")]


class BondedItemOut(Schema):
    seq: int
    kind: str
    part_no: str
    hs_code: str
    description: str
    unit: str
    unit_price: Decimal
    currency: str
    origin_country: str
    on_hand: Decimal
    reserved: Decimal
    incoming: Decimal
    available: Decimal


class BondedBookOut(Schema):
    number: str
    kind: str
    enterprise: str
    enterprise_uscc: str
    warehouse: str
    customs_district: str
    suspended: bool
    items: list[BondedItemOut]


class BondedLineIn(Schema):
    """One line of a 核注清单: which book item and how much (always positive)."""

    item_seq: int = Field(ge=1, description="备案序号 — the book line", examples=[1])
    quantity: Decimal = Field(
        gt=0, max_digits=18, decimal_places=5, description="quantity in the item's unit 数量", examples=["20000"]
    )
    unit_price: Decimal | None = Field(
        None,
        gt=0,
        max_digits=18,
        decimal_places=4,
        description="defaults to the book line's declared unit price",
        examples=["1.20"],
    )
    counterpart_item_seq: int | None = Field(
        None, ge=1, description="transfer: the receiving book's line", examples=[1]
    )
    sign: Literal[1, -1] | None = Field(
        None, description="adjustment: 1 surplus (盘盈), -1 shortage (盘亏)", examples=[-1]
    )


class BondedListIn(Schema):
    """A 核注清单 to declare on one of your books — 申报核注清单."""

    movement: Literal[
        "import_abroad", "export_abroad", "domestic_out", "domestic_in", "transfer", "processing", "adjustment"
    ] = Field(description="一线进境/一线出境/二线出区/二线入区/结转/加工/盘点调整", examples=["import_abroad"])
    internal_no: str = Field(
        min_length=1,
        max_length=40,
        description="企业内部清单编号 — your own number; repeating it with the same content "
        "returns the same list (idempotency)",
        examples=["WMS-2026-000123"],
    )
    lines: list[BondedLineIn] = Field(
        min_length=1, max_length=500, description="the goods 表体", examples=[[{"item_seq": 1, "quantity": "20000"}]]
    )
    declaration_number: str = Field(
        "", max_length=40, description="二线: the single-window declaration", examples=["SWLY202612050001"]
    )
    counterpart_book: str = Field(
        "", max_length=12, description="transfer: the receiving book", examples=["T4101W000002"]
    )
    reason: str = Field("", max_length=500, description="adjustment: why stock differs", examples=["盘点短少20千克"])


class BondedLineOut(Schema):
    item_seq: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    currency: str


class BondedListOut(Schema):
    number: str
    book: str
    movement: str
    direction: str
    internal_no: str
    status: str
    posting: str
    declaration_number: str
    reverses: str | None = None
    reason: str
    review_reason: str
    declared_at: dt.datetime
    reviewed_at: dt.datetime | None = None
    posted_at: dt.datetime | None = None
    lines: list[BondedLineOut]


class BondedReviewIn(Schema):
    """Customs' decision on a declared list — 海关审核."""

    outcome: Literal["accept", "return"] = Field(description="accept 审核通过 or return 退单", examples=["accept"])
    reason: str = Field(
        "", max_length=500, description="required to return a list (退单原因)", examples=["商品编码与实货不符"]
    )


class BondedReversalIn(Schema):
    """A reversal (冲正) of a posted list: a new list with the opposite effect."""

    internal_no: str = Field(
        min_length=1, max_length=40, description="your own number for the reversal", examples=["WMS-REV-0001"]
    )
    reason: str = Field(
        min_length=1, max_length=500, description="why the original was a mistake", examples=["重复申报"]
    )


class BondedReleaseIn(Schema):
    """A release note (核放单) for one vehicle."""

    plate: str = Field(min_length=1, max_length=16, description="vehicle plate 车牌号", examples=["豫C12345"])
    lists: list[str] = Field(
        min_length=1,
        max_length=50,
        description="the 核注清单 numbers the vehicle carries",
        examples=[["QD410126I000000001"]],
    )


class BondedReleaseOut(Schema):
    number: str
    token: str = Field(description="what the QR code carries to the gate")
    book: str
    direction: str
    plate: str
    status: str
    lists: list[str]


class BondedGateOut(Schema):
    number: str
    plate: str
    status: str
    passed: bool
    reasons: list[dict]


class BondedReconciledOut(Schema):
    item_seq: int
    description: str
    opening: Decimal
    moves: dict[str, Decimal]
    closing: Decimal
    balanced: bool
    lists: list[str]


def book_out(book: AccountBook) -> dict:
    return {
        "number": book.number,
        "kind": book.kind,
        "enterprise": book.enterprise.name,
        "enterprise_uscc": book.enterprise.uscc,
        "warehouse": book.warehouse,
        "customs_district": book.customs_district,
        "suspended": book.suspended,
        "items": [item_out(i) for i in book.items.order_by("seq")],
    }


def item_out(i: BookItem) -> dict:
    return {
        "seq": i.seq,
        "kind": i.kind,
        "part_no": i.part_no,
        "hs_code": i.hs_code,
        "description": i.description,
        "unit": i.unit,
        "unit_price": i.unit_price,
        "currency": i.currency,
        "origin_country": i.origin_country,
        "on_hand": i.on_hand,
        "reserved": i.reserved,
        "incoming": i.incoming,
        "available": i.available,
    }


def list_out(lst: InventoryList) -> dict:
    return {
        "number": lst.number,
        "book": lst.book.number,
        "movement": lst.movement,
        "direction": lst.direction,
        "internal_no": lst.internal_no,
        "status": lst.status,
        "posting": lst.posting,
        "declaration_number": lst.declaration_number,
        "reverses": lst.reverses.number if lst.reverses_id else None,
        "reason": lst.reason,
        "review_reason": lst.review_reason,
        "declared_at": lst.declared_at,
        "reviewed_at": lst.reviewed_at,
        "posted_at": lst.posted_at,
        "lines": [
            {
                "item_seq": ln.item.seq,
                "description": ln.item.description,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "currency": ln.currency,
            }
            for ln in lst.lines.select_related("item")
        ],
    }


def release_out(note: ReleaseNote) -> dict:
    return {
        "number": note.number,
        "token": note.token,
        "book": note.book.number,
        "direction": note.direction,
        "plate": note.plate,
        "status": note.status,
        "lists": [x.number for x in note.lists.all()],
    }


def _payload(data: Schema) -> dict:
    raw = data.model_dump()
    raw["lines"] = [{k: v for k, v in line.items() if v is not None} for line in raw["lines"]]
    return raw


@router.get(
    "books",
    response={200: list[BondedBookOut], **ERRORS},
    summary="My bonded account books 保税账册",
    operation_id="listBondedBooks",
)
def books(request: HttpRequest):
    """The books the caller may see: an operator their enterprise's; customs every book."""
    from zimao.bonded.access import is_gate

    if is_gate(request.user):
        return []  # the gate sees release notes, not books
    return [book_out(b) for b in bonded.books_for(request.user).select_related("enterprise").order_by("number")]


@router.get(
    "books/{number}",
    response={200: BondedBookOut, **ERRORS},
    summary="One book with its stock 账册库存",
    operation_id="getBondedBook",
)
def book(request: HttpRequest, number: BookNumber):
    return book_out(bonded.get_book_for(request.user, number))


@router.post(
    "books/{number}/lists",
    response={200: BondedListOut, 201: BondedListOut, **ERRORS},
    summary="Declare an inventory write-off list 申报核注清单",
    operation_id="declareBondedList",
)
def declare(request: HttpRequest, number: BookNumber, payload: BondedListIn):
    """201 with a new list; 200 with the same list when ``internal_no`` was declared before with the
    same content; 422 when it was declared with other content."""
    lst, created = bonded.declare(request.user, number, _payload(payload))
    return Status(201 if created else 200, list_out(lst))


@router.get(
    "lists/{number}", response={200: BondedListOut, **ERRORS}, summary="One list 核注清单", operation_id="getBondedList"
)
def get_list(request: HttpRequest, number: ListNumber):
    return list_out(bonded.get_list_for(request.user, number))


@router.get(
    "lists",
    response={200: list[BondedListOut], **ERRORS},
    summary="Lists waiting for customs 待审核清单",
    operation_id="listBondedListsWaiting",
)
def waiting(request: HttpRequest):
    return [list_out(x) for x in bonded.lists_waiting_for(request.user)[:200]]


@router.post(
    "lists/{number}/review",
    response={200: BondedListOut, **ERRORS},
    summary="Customs: accept or return a list 审核",
    operation_id="reviewBondedList",
)
def review(request: HttpRequest, number: ListNumber, payload: BondedReviewIn):
    return list_out(bonded.review(request.user, number, payload.outcome, payload.reason))


@router.post(
    "lists/{number}/reversal",
    response={200: BondedListOut, 201: BondedListOut, **ERRORS},
    summary="Reverse a posted list 冲正",
    operation_id="reverseBondedList",
)
def reversal(request: HttpRequest, number: ListNumber, payload: BondedReversalIn):
    lst, created = bonded.reverse(request.user, number, internal_no=payload.internal_no, reason=payload.reason)
    return Status(201 if created else 200, list_out(lst))


@router.post(
    "books/{number}/release-notes",
    response={201: BondedReleaseOut, **ERRORS},
    summary="Apply for a release note 核放单",
    operation_id="applyBondedReleaseNote",
)
def release(request: HttpRequest, number: BookNumber, payload: BondedReleaseIn):
    return Status(
        201, release_out(bonded.apply_release(request.user, number, plate=payload.plate, list_numbers=payload.lists))
    )


@router.post(
    "gate/{token}",
    response={200: BondedGateOut, **ERRORS},
    summary="Gate: scan and pass or hold 卡口核放",
    operation_id="passBondedGate",
)
def gate(request: HttpRequest, token: GateToken):
    note, problems = bonded.pass_gate(request.user, token)
    return {
        "number": note.number,
        "plate": note.plate,
        "status": note.status,
        "passed": not problems,
        "reasons": [p.as_dict() for p in problems],
    }


@router.get(
    "books/{number}/reconciliation",
    response={200: list[BondedReconciledOut], **ERRORS},
    summary="Reconcile a book over a period 对账",
    operation_id="reconcileBondedBook",
)
def reconciliation(
    request: HttpRequest,
    number: BookNumber,
    start: Annotated[ApiDate, Query(description="first day 开始日期", examples=["2026-12-01"])],
    end: Annotated[ApiDate, Query(description="last day 截止日期", examples=["2026-12-31"])],
):
    rows = bonded.reconcile(request.user, number, start, end)
    return [
        {
            "item_seq": r.item.seq,
            "description": r.item.description,
            "opening": r.opening,
            "moves": r.moves,
            "closing": r.closing,
            "balanced": r.balanced,
            "lists": [p.inventory_list.number for p in r.postings],
        }
        for r in rows
    ]
