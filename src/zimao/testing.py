"""Helpers for tests (and benchmarks): a zone with its catalogue and people, valid
applications, and uploaded materials."""

from __future__ import annotations

import copy
from datetime import date as _date
from datetime import timedelta as _timedelta
from types import SimpleNamespace

from django.contrib.auth import get_user_model

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)

ESTABLISHMENT = "QYKB-001"

BASE_APPLICATION = {
    "name": {"division": "410305", "trade_name": "智远", "industry": "科技", "org_form": "有限公司"},
    "registration": {
        "registered_capital": "100",
        "address": "洛阳市涧西区天津路1号",
        "business_scope": "软件开发；信息技术咨询服务",
        "legal_rep_name": "李明",
        "legal_rep_id": "11010519491231002X",
        "legal_rep_phone": "13812345678",
        "articles": "standard",
    },
    "steps": {"selected": ["seal", "tax", "social_insurance", "housing_fund", "bank"]},
    "seal": {"seal_count": 4},
    "tax": {"invoice_type": "e-invoice", "invoice_quantity": 25},
    "social_insurance": {"employees": 5},
    "housing_fund": {"employees": 5},
    "bank": {
        "bank": "ICBC",
        "appointment_date": (_date.today() + _timedelta(days=60)).isoformat(),
    },  # never in the past
}


def appointment_date() -> str:
    """A bank appointment a month ahead: appointments may not lie in the past."""
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() + timedelta(days=30)).isoformat()


def resident_id(serial: int) -> str:
    """A valid resident identity number (GB 11643 check character) for test person ``serial``
    (1–999), distinct from the demo people's."""
    from zimao.core.identifiers import id_check_char

    first17 = f"44052419900101{serial:03d}"
    return first17 + id_check_char(first17)


def application(trade_name: str = "智远", **sections) -> dict:
    data = copy.deepcopy(BASE_APPLICATION)
    data["name"]["trade_name"] = trade_name
    data["bank"]["appointment_date"] = appointment_date()
    for key, values in sections.items():
        data.setdefault(key, {}).update(values)
    return data


def build_zone() -> SimpleNamespace:
    from zimao.catalog.services import load_packaged
    from zimao.web.demo import ensure_users

    load_packaged("establishment")
    ensure_users()
    User = get_user_model()
    return SimpleNamespace(**{u.username: u for u in User.objects.all()})


def upload_materials(user, keys=("articles", "id_copy", "premises")) -> dict[str, int]:
    from zimao.cases.services import upload_material

    return {key: upload_material(user, key, f"{key}.pdf", PDF).pk for key in keys}


def submit(user, trade_name: str = "智远", key: str = "", materials=None, **sections):
    from zimao.cases.services import submit as engine_submit

    return engine_submit(
        user,
        ESTABLISHMENT,
        application(trade_name, **sections),
        materials=upload_materials(user) if materials is None else materials,
        idempotency_key=key,
    )
