"""The bonded zone's books (综合保税区账册), the documents behind every movement, and the gate.

Only an accepted 核注清单 (inventory write-off list) changes a book: stock is the sum of its
postings, postings are never edited, and a mistake is undone by a new list that reverses it.
Quantities are Decimal with 5 places and unit prices with 4, as customs interfaces carry them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

QTY = {"max_digits": 18, "decimal_places": 5}
PRICE = {"max_digits": 18, "decimal_places": 4}
ZERO = Decimal(0)


class BondedEnterprise(models.Model):
    """A zone enterprise (区内企业) and the people who keep its books (录入员/关务)."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    customs_code = models.CharField(_("customs registration code"), max_length=10, unique=True)  # 海关编码
    name = models.CharField(_("name"), max_length=200)
    operators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="bonded_enterprises", blank=True)

    class Meta:
        verbose_name = _("bonded-zone enterprise")

    def __str__(self):
        return f"{self.name} ({self.customs_code})"


class AccountBook(models.Model):
    """A bonded account book (保税账册): T for a logistics warehouse, H for a processing plant."""

    class Kind(models.TextChoices):
        LOGISTICS = "T", _("logistics book (warehouse)")  # 物流账册
        PROCESSING = "H", _("processing book")  # 加工账册

    number = models.CharField(_("book number"), max_length=12, unique=True)
    kind = models.CharField(_("book type"), max_length=1, choices=Kind.choices)
    enterprise = models.ForeignKey(BondedEnterprise, on_delete=models.PROTECT, related_name="books")
    warehouse = models.CharField(_("warehouse"), max_length=120)
    customs_district = models.CharField(_("supervising customs"), max_length=4)  # 主管海关关区代码
    opened_at = models.DateTimeField(auto_now_add=True)
    suspended = models.BooleanField(_("suspended by customs"), default=False)

    class Meta:
        verbose_name = _("bonded account book")

    def __str__(self):
        return self.number


class BookItem(models.Model):
    """One line of a book (备案序号) with its running stock.

    ``on_hand`` = opening + 实增 − 实减; ``reserved`` (预减) holds what accepted lists will take out
    when their goods pass the gate, so ``available = on_hand − reserved`` can never go negative.
    ``incoming`` (预增) is what accepted lists will bring in at the gate."""

    class Kind(models.TextChoices):
        MATERIAL = "I", pgettext_lazy("bonded item", "material")  # 料件
        PRODUCT = "E", _("product")  # 成品

    book = models.ForeignKey(AccountBook, on_delete=models.PROTECT, related_name="items")
    seq = models.PositiveIntegerField(_("record number"))  # 备案序号
    kind = models.CharField(_("material or product"), max_length=1, choices=Kind.choices, default=Kind.MATERIAL)
    part_no = models.CharField(_("part number"), max_length=40)  # 料号
    hs_code = models.CharField(_("commodity code"), max_length=10)
    description = models.CharField(_("description"), max_length=200)
    unit = models.CharField(_("unit"), max_length=3)  # 035 kg, 007 个, 011 件
    unit_price = models.DecimalField(_("declared unit price"), **PRICE)
    currency = models.CharField(_("currency"), max_length=3)  # ISO 4217 letters (CNY, USD, JPY…)
    origin_country = models.CharField(_("country of origin"), max_length=3)
    on_hand = models.DecimalField(**QTY, default=ZERO)
    reserved = models.DecimalField(**QTY, default=ZERO)
    incoming = models.DecimalField(**QTY, default=ZERO)

    class Meta:
        verbose_name = _("book item")
        ordering = ["book", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["book", "seq"], name="bonded_item_seq_unique"),
            models.UniqueConstraint(fields=["book", "part_no"], name="bonded_item_part_unique"),
            # The database itself refuses a negative stock or an over-reservation.
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="bonded_item_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=models.F("on_hand")),
                name="bonded_item_reserved_within_stock",
            ),
            models.CheckConstraint(condition=Q(incoming__gte=0), name="bonded_item_incoming_not_negative"),
        ]

    def __str__(self):
        return f"{self.book.number}#{self.seq} {self.description}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class ConsumptionNorm(models.Model):
    """单耗: how much of a material one unit of a product consumes.

    单耗 = 净耗 ÷ (1 − 工艺损耗率), 工艺损耗率 = 有形 + 无形; consumed = products × 单耗 × 保税料件比例."""

    product = models.ForeignKey(BookItem, on_delete=models.PROTECT, related_name="norms")
    material = models.ForeignKey(BookItem, on_delete=models.PROTECT, related_name="used_in")
    version = models.PositiveIntegerField(default=1)
    net = models.DecimalField(_("net consumption"), **QTY)  # 净耗
    tangible_loss = models.DecimalField(_("tangible loss rate"), max_digits=7, decimal_places=6, default=ZERO)
    intangible_loss = models.DecimalField(_("intangible loss rate"), max_digits=7, decimal_places=6, default=ZERO)
    bonded_ratio = models.DecimalField(_("bonded share"), max_digits=7, decimal_places=6, default=Decimal(1))

    class Meta:
        verbose_name = _("consumption norm")
        constraints = [models.UniqueConstraint(fields=["product", "material", "version"], name="bonded_norm_unique")]

    def __str__(self):
        return f"{self.product} ← {self.material} v{self.version}"


class InventoryList(models.Model):
    """核注清单: the one document behind every change of a book.

    Lifecycle: declared → accepted (审核通过) or returned (退单). An accepted list that moves goods
    across the fence posts at the gate (核扣 after 过卡); one that does not posts at acceptance."""

    class Movement(models.TextChoices):
        IMPORT_ABROAD = "import_abroad", _("goods in from abroad")  # 一线进境
        EXPORT_ABROAD = "export_abroad", _("goods out to abroad")  # 一线出境
        DOMESTIC_OUT = "domestic_out", _("sold into the domestic market")  # 二线出区（内销）
        DOMESTIC_IN = "domestic_in", _("brought in from the domestic market")  # 二线入区
        TRANSFER = "transfer", _("transfer to another book")  # 区内流转 / 结转
        PROCESSING = "processing", _("processing")  # 加工（按单耗）
        ADJUSTMENT = "adjustment", _("stocktake adjustment")  # 盘点调整
        REVERSAL = "reversal", _("reversal of a mistaken list")  # 冲正

    class Status(models.TextChoices):
        DECLARED = "declared", pgettext_lazy("bonded list", "declared")  # 申报
        ACCEPTED = "accepted", pgettext_lazy("bonded list", "accepted")  # 审核通过
        RETURNED = "returned", pgettext_lazy("bonded list", "returned")  # 退单

    class Posting(models.TextChoices):
        NONE = "none", pgettext_lazy("bonded list", "not posted")  # 未核扣
        RESERVED = "reserved", _("reserved, waiting for the gate")  # 预核扣
        POSTED = "posted", pgettext_lazy("bonded list", "posted")  # 已核扣

    number = models.CharField(_("list number"), max_length=18, unique=True)  # QD + 关区 + 年 + I/E + 9 位
    book = models.ForeignKey(AccountBook, on_delete=models.PROTECT, related_name="lists")
    movement = models.CharField(_("movement"), max_length=16, choices=Movement.choices)
    direction = models.CharField(_("in or out"), max_length=1)  # I / E
    internal_no = models.CharField(_("enterprise's own list number"), max_length=40)  # 企业内部清单编号
    fingerprint = models.CharField(max_length=64)  # what was declared, to refuse a reused number
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DECLARED)
    posting = models.CharField(max_length=10, choices=Posting.choices, default=Posting.NONE)
    declaration_number = models.CharField(_("customs declaration"), max_length=40, blank=True)  # 对应/关联报关单
    counterpart_book = models.ForeignKey(
        AccountBook, on_delete=models.PROTECT, null=True, blank=True, related_name="incoming_lists"
    )
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    review_reason = models.CharField(max_length=500, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inventory write-off list")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["book", "internal_no"], name="bonded_list_internal_no_unique")]

    def __str__(self):
        return self.number


class ListLine(models.Model):
    """One line of a 核注清单: which book item and how much (always a positive quantity; the
    movement says which way it goes). ``counterpart_item`` is the receiving line of a transfer."""

    inventory_list = models.ForeignKey(InventoryList, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(BookItem, on_delete=models.PROTECT, related_name="list_lines")
    quantity = models.DecimalField(**QTY)
    unit_price = models.DecimalField(**PRICE)
    currency = models.CharField(max_length=3)
    counterpart_item = models.ForeignKey(BookItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sign = models.SmallIntegerField(default=0)  # for adjustments: +1 surplus, −1 shortage; else 0

    class Meta:
        ordering = ["id"]


class Posting(models.Model):
    """A change of one item's stock, made by one accepted list (append-only)."""

    item = models.ForeignKey(BookItem, on_delete=models.PROTECT, related_name="postings")
    inventory_list = models.ForeignKey(InventoryList, on_delete=models.PROTECT, related_name="postings")
    delta = models.DecimalField(**QTY)
    balance = models.DecimalField(**QTY)  # on_hand after this posting
    value_usd = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["item", "at"])]


class ReleaseNote(models.Model):
    """核放单: what a vehicle carries through the gate, by the accepted lists it cites."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("waiting at the gate")  # 已申请
        PASSED = "passed", _("passed the gate")  # 已过卡
        HELD = "held", _("held at the gate")  # 拒绝过卡

    number = models.CharField(_("release note number"), max_length=24, unique=True)
    token = models.CharField(max_length=32, unique=True)  # in the QR: not guessable from the number
    book = models.ForeignKey(AccountBook, on_delete=models.PROTECT, related_name="release_notes")
    direction = models.CharField(max_length=1)  # I / E
    plate = models.CharField(_("vehicle plate"), max_length=16)
    lists = models.ManyToManyField(InventoryList, related_name="release_notes")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("release note")
        ordering = ["-id"]

    def __str__(self):
        return self.number


class GateRecord(models.Model):
    """What the gate keeper saw and did (过卡 or 拒绝过卡), with the reasons a hold was given."""

    release_note = models.ForeignKey(ReleaseNote, on_delete=models.PROTECT, related_name="gate_records")
    keeper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField()
    reasons = models.JSONField(default=list)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
