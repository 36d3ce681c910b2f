"""Test helpers: valid application data made from an item's own form definition, so every item in
the catalogue can be applied for without a line of per-item test code."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from zimao.catalog.forms import iter_fields
from zimao.catalog.models import Department, Officer, ServiceItem


def broad_scope() -> str:
    """A business scope naming every activity of the catalogue: a company that may commit to any
    permit (告知承诺 is refused outside the registered scope)."""
    from zimao.permits.models import Activity

    return "；".join(["软件开发", *Activity.objects.values_list("name_zh", flat=True)])[:1000]


def start_company(user, trade_name: str, industry: str = "科技", scope: str | None = None):
    """企业开办, straight through: the registered entity (with its business licence). Its scope
    names every activity unless ``scope`` is given."""
    from zimao.registry.services import entity_by_uscc
    from zimao.testing import submit

    scope = broad_scope() if scope is None else scope
    case = submit(user, trade_name, name={"industry": industry}, registration={"business_scope": scope}).case
    case.refresh_from_db()
    assert case.status == "delivered", case.status
    return entity_by_uscc(case.results["uscc"])


def sample_value(field: dict, uscc: str = ""):
    kind = field.get("type", "text")
    choices = [c[0] if isinstance(c, (list, tuple)) else c for c in field.get("choices", [])]
    if kind == "uscc":
        return uscc
    if kind == "choice":
        return choices[0]
    if kind == "multichoice":
        return choices[:1]
    if kind == "int":
        return max(int(field.get("min", 1)), 1)
    if kind == "decimal":
        return str(max(float(field.get("min", 1)), 1.0))
    if kind == "bool":
        return True
    if kind == "date":
        return dt.date.today().isoformat()
    return "洛阳市涧西区天津路8号" if "address" in field["key"] else "测试内容"


def sample_data(item: ServiceItem, uscc: str = "", signer: str = "李明", skip=("commitment",)) -> dict:
    data: dict = {}
    for section, field in iter_fields(item.form):
        if section["key"] in skip:
            continue
        data.setdefault(section["key"], {})[field["key"]] = sample_value(field, uscc)
    if "commitment" not in skip and any(s["key"] == "commitment" for s in item.form.get("sections", [])):
        data["commitment"] = {"agree": True, "signer_name": signer}
    return data


def upload_for(user, item: ServiceItem) -> dict[str, int]:
    from zimao.cases.services import upload_material
    from zimao.testing import PDF

    return {m["key"]: upload_material(user, m["key"], f"{m['key']}.pdf", PDF).pk for m in item.materials}


def apply(user, code: str, uscc: str, **overrides):
    """Submit a case for ``code`` with valid sample data (materials uploaded)."""
    from zimao.cases.services import submit

    item = ServiceItem.objects.get(code=code)
    data = sample_data(item, uscc, skip=())
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    case = submit(user, code, data, materials=upload_for(user, item)).case
    case.refresh_from_db()
    return case


def reviewer_for(department_code: str, username: str | None = None):
    """A reviewer of ``department_code`` (the demo zone has reviewers for AMR and TAX only)."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username or f"reviewer_{department_code.lower()}")
    Officer.objects.update_or_create(
        user=user, defaults={"department": Department.objects.get(code=department_code), "role": Officer.Role.REVIEWER}
    )
    return user
