"""One multi-row INSERT of model instances, without Django's SQL compiler.

``bulk_create`` builds its statement through ``SQLInsertCompiler`` and prepares every value with
``get_db_prep_save``; for the few dozen rows a case writes per transaction that is a sizeable share
of the engine's CPU (issue 11). Here each column's conversion is looked up once per model and
vendor — datetimes through ``connection.ops.adapt_datetimefield_value``, JSON through
``connection.ops.adapt_json_value`` with the field's own encoder — and applied per value, so the
database receives exactly what ``bulk_create`` would have sent. Anything beyond plain values (a
value of an unexpected type, a naive datetime) goes through the field's own ``get_db_prep_save``.

``create(objs)`` is ``bulk_create`` (ids set from ``RETURNING``); ``insert_new(objs, returning)``
is ``bulk_create(ignore_conflicts=True)`` that also answers which rows were new
(``ON CONFLICT DO NOTHING`` on PostgreSQL, ``INSERT OR IGNORE`` on SQLite). Both split the rows
into batches as ``bulk_create`` does (SQLite's parameter limit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import NoneType

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.constants import OnConflict

UNNEST_FROM = 10  # rows

_INT_TYPES = {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}


_CONVERSIONS = ("to_python", "get_prep_value", "get_db_prep_value", "get_db_prep_save")


def _converts_as_its_kind(field: models.Field) -> bool:
    """The field turns values into column values exactly as its built-in kind does — not, say,
    an encrypted text field (``core.protected.EncryptedTextField``), whose ``get_prep_value``
    encrypts: such a field always goes through its own ``get_db_prep_save``."""
    base = getattr(models, field.get_internal_type(), None)
    return base is not None and all(getattr(type(field), m) is getattr(base, m) for m in _CONVERSIONS)


def _preparer(field: models.Field, connection) -> Callable:
    """value -> what the driver is handed for ``field``; the same result as ``get_db_prep_save``."""
    ops, slow = connection.ops, field.get_db_prep_save
    if hasattr(field, "get_placeholder"):
        raise TypeError(f"{field} needs its own placeholder; use bulk_create")
    if not _converts_as_its_kind(field):
        return lambda v: slow(v, connection)
    # None is NULL for every kind here, as get_db_prep_save makes it.
    if isinstance(field, models.JSONField):
        adapt_json, encoder = ops.adapt_json_value, field.encoder
        # dicts and lists straight to the adapter; expressions, lazy strings, scalars: the field's path
        return lambda v: (
            None if v is None else adapt_json(v, encoder) if type(v) in (dict, list) else slow(v, connection)
        )
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        adapt_dt = ops.adapt_datetimefield_value

        def prep_datetime(v):
            if v is None:
                return None
            if isinstance(v, datetime) and v.tzinfo is not None:
                return adapt_dt(v)
            return slow(v, connection)  # a naive datetime or a date: the field's warning and conversion

        return prep_datetime
    if kind == "DateField":
        adapt_d = ops.adapt_datefield_value
        return lambda v: None if v is None else adapt_d(v) if type(v) is date else slow(v, connection)
    if kind in ("CharField", "TextField"):
        # any str (a TextChoices member too) is handed over as it is, as to_python leaves it
        return lambda v: v if v is None or isinstance(v, str) else slow(v, connection)
    if kind in _INT_TYPES or (
        field.is_relation and field.target_field.get_internal_type() in ("BigAutoField", "AutoField")
    ):
        plain = (int, NoneType)
    elif kind == "BooleanField":
        plain = (bool, NoneType)
    else:
        return lambda v: slow(v, connection)
    return lambda v: v if type(v) in plain else slow(v, connection)


class _Plan:
    """A model's insertable columns, their preparers and the statement's fixed parts, per vendor."""

    def __init__(self, model: type[models.Model], connection):
        meta = model._meta
        if not isinstance(meta.pk, models.AutoField):  # BigAutoField too
            raise TypeError(f"{model.__name__}: only models with an automatic id")
        self.fields = [f for f in meta.concrete_fields if f is not meta.pk and not f.generated]
        for f in self.fields:
            if type(f).pre_save not in (
                models.Field.pre_save,
                models.DateField.pre_save,
                models.DateTimeField.pre_save,
            ):
                raise TypeError(f"{f} computes its value on save; use bulk_create")
        self.auto = [
            (i, f)
            for i, f in enumerate(self.fields)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        self.relations = [(i, f) for i, f in enumerate(self.fields) if f.is_relation]
        self.attnames = [f.attname for f in self.fields]
        self.prepare = [_preparer(f, connection) for f in self.fields]
        qn = connection.ops.quote_name
        self.table = qn(meta.db_table)
        self.columns = ", ".join(qn(f.column) for f in self.fields)
        self.row = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.batch = max(connection.ops.bulk_batch_size(self.fields, [None] * 100_000), 1)
        # PostgreSQL, many rows: one array per column (``SELECT * FROM UNNEST(…)``), as bulk_create
        # sends it there — fewer parameters for the driver to adapt. Measured in the engine: less
        # client CPU from about ten rows on (30 audit events), more for five (the outbox).
        self.unnest = None
        if connection.vendor == "postgresql" and all(
            (f.target_field if f.is_relation else f).get_internal_type() in connection.data_types for f in self.fields
        ):
            arrays = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in self.fields)
            self.unnest = f"SELECT * FROM UNNEST({arrays})"  # noqa: S608 (the model's own column types)


_plans: dict[tuple[type, str], _Plan] = {}


def _plan(model, connection) -> _Plan:
    key = (model, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan(model, connection)
    return plan


def _rows(plan: _Plan, objs: Sequence[models.Model]) -> list[list]:
    rows = []
    for obj in objs:
        for _i, field in plan.auto:
            field.pre_save(obj, add=True)
        for _i, field in plan.relations:  # an unsaved related object is an error, as in bulk_create
            if field.is_cached(obj) and getattr(obj, field.attname) is None:
                related = getattr(obj, field.name)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(
                            f"insert prohibited to prevent data loss due to unsaved related object '{field.name}'."
                        )
                    setattr(obj, field.name, related)
        d = obj.__dict__
        rows.append([prep(d[a]) for prep, a in zip(plan.prepare, plan.attnames, strict=True)])
    return rows


def _run(model, objs, returning: Sequence[str], ignore: bool, using: str) -> list[tuple]:
    connection = connections[using]
    plan = _plan(model, connection)
    ops = connection.ops
    on_conflict = OnConflict.IGNORE if ignore else None
    head = f"{ops.insert_statement(on_conflict=on_conflict)} {plan.table} ({plan.columns}) "
    meta = model._meta
    tail = ops.on_conflict_suffix_sql(plan.fields, on_conflict, None, None)
    ret, _ = ops.return_insert_columns([meta.get_field(name) for name in returning])
    tail = " ".join(part for part in (tail, ret) if part)
    out = []
    with connection.cursor() as cur:
        for start in range(0, len(objs), plan.batch):
            chunk = objs[start : start + plan.batch]
            rows = _rows(plan, chunk)
            if plan.unnest and len(rows) > UNNEST_FROM:
                sql, params = head + plan.unnest, [list(column) for column in zip(*rows, strict=True)]
            else:
                sql, params = head + "VALUES " + ", ".join([plan.row] * len(rows)), [v for row in rows for v in row]
            cur.execute(sql + (" " + tail if tail else ""), params)
            out += cur.fetchall()
    return out


def create(objs: Sequence[models.Model], using: str = DEFAULT_DB_ALIAS) -> Sequence[models.Model]:
    """``bulk_create(objs)`` for new instances of one model with an automatic id: one INSERT …
    RETURNING id per batch; each object gets its id, as ``bulk_create`` gives it."""
    if not objs:
        return objs
    model = type(objs[0])
    pk = model._meta.pk
    rows = _run(model, objs, [pk.name], False, using)
    if len(rows) != len(objs):
        raise RuntimeError(f"inserted {len(objs)} rows, {len(rows)} ids came back")
    for obj, (value,) in zip(objs, rows, strict=True):
        setattr(obj, pk.attname, value)
        obj._state.adding = False
        obj._state.db = using
    return objs


def insert_new(objs: Sequence[models.Model], returning: Sequence[str], using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """Insert ``objs``, skipping any that a unique constraint says exist already (``ON CONFLICT
    DO NOTHING``; SQLite ``INSERT OR IGNORE``); the ``returning`` columns of the rows that were new.
    Nothing is set on the objects."""
    if not objs:
        return []
    return _run(type(objs[0]), objs, returning, True, using)
