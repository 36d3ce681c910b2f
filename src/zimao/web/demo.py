"""The Luoyang demo zone: catalogue, one user per role, the companies the report names, and the
report's figures (via the monitor app). Everything here is idempotent."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

DEMO_PASSWORD = "zimao-demo-2026"  # noqa: S105 — the demo's logins are public by design

USERS = [
    {
        "username": "applicant",
        "role_zh": "申请人",
        "role_en": "applicant (company)",
        "first_name": "李明",
        # GB 11643's own sample number and a made-up phone: the window finds 李明 by it (前台综合受理).
        "id_number": "11010519491231002X",
        "phone": "13812345678",
    },
    {"username": "applicant2", "role_zh": "申请人2", "role_en": "another applicant", "first_name": "王芳"},
    {
        "username": "clerk",
        "first_name": "赵敏",
        "role_zh": "综合窗口",
        "role_en": "window clerk",
        "department": "WINDOW",
        "officer_role": "clerk",
    },
    {
        "username": "reviewer",
        "first_name": "陈静",
        "role_zh": "市场监管审核",
        "role_en": "reviewer, market regulation",
        "department": "AMR",
        "officer_role": "reviewer",
    },
    {
        "username": "reviewer_tax",
        "first_name": "刘洋",
        "role_zh": "税务审核",
        "role_en": "reviewer, taxation",
        "department": "TAX",
        "officer_role": "reviewer",
    },
    {
        "username": "admin",
        "first_name": "周平",
        "role_zh": "管委会管理员",
        "role_en": "zone administrator",
        "department": "ADMIN",
        "officer_role": "admin",
        "staff": True,
    },
]

# Officers the trade area creates with its own departments (trade.demo), listed with the rest.
AREA_USERS = [
    {"username": "reviewer_coo", "role_zh": "原产地签证审核", "role_en": "certificate reviewer (CCPIT)"},
    {"username": "reviewer_customs", "role_zh": "海关审核", "role_en": "customs reviewer"},
    {"username": "warehouse", "role_zh": "综保区仓库操作员", "role_en": "bonded-warehouse operator"},
    {"username": "customs_bonded", "role_zh": "综保区海关", "role_en": "customs officer, bonded zone"},
    {"username": "gate", "role_zh": "综保区卡口", "role_en": "gate keeper, bonded zone"},
]

# Companies named in the zone report (一、（三）), with the industry it gives them.
REPORT_COMPANIES = [
    ("洛阳双瑞特种装备有限公司", "智能装备", "有限公司"),
    ("洛阳北方玻璃技术股份有限公司", "智能装备", "股份有限公司"),
    ("中航光电科技股份有限公司", "电子", "股份有限公司"),
    ("麦斯克电子材料股份有限公司", "电子", "股份有限公司"),
    ("洛阳鸿泰半导体有限公司", "电子", "有限公司"),
    ("洛阳伟信电子科技有限公司", "电子", "有限公司"),
    ("洛阳北方易初摩托车有限公司", "新能源", "有限公司"),
    ("中航锂电（洛阳）有限公司", "新能源", "有限公司"),
    ("普莱柯生物工程股份有限公司", "生物医药", "股份有限公司"),
    ("洛阳普泰生物技术有限公司", "生物医药", "有限公司"),
]


@transaction.atomic
def ensure_users() -> int:
    from zimao.catalog.models import Department, Officer

    User = get_user_model()
    created = 0
    for spec in USERS:
        user, made = User.objects.get_or_create(
            username=spec["username"], defaults={"first_name": spec.get("first_name", "")}
        )
        if made:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = bool(spec.get("staff"))
            user.save()
            created += 1
        elif spec.get("first_name") and not user.first_name:  # named since: history shows who acted
            user.first_name = spec["first_name"]
            user.save(update_fields=["first_name"])
        if spec.get("id_number"):
            _ensure_profile(user, spec["id_number"], spec["phone"])
        if spec.get("department"):
            Officer.objects.update_or_create(
                user=user,
                defaults={"department": Department.objects.get(code=spec["department"]), "role": spec["officer_role"]},
            )
            group, _ = Group.objects.get_or_create(
                name={"clerk": "window_clerk", "reviewer": "reviewer", "admin": "zone_admin"}[spec["officer_role"]]
            )
            user.groups.add(group)
    return created


def _ensure_profile(user, id_number: str, phone: str) -> None:
    from zimao.web.intake import identity_fields, phone_fields
    from zimao.web.models import Profile

    Profile.objects.update_or_create(user=user, defaults={**phone_fields(phone), **identity_fields(id_number)})


def load() -> dict:
    from zimao.catalog.services import load_packaged
    from zimao.registry.services import register_demo_entity

    summary = {}
    counts = load_packaged("establishment", actor="system:demo")
    summary["catalogue"] = sum(counts.values())
    for extra in ("permits",):
        try:
            summary[extra] = sum(load_packaged(extra, actor="system:demo").values())
        except FileNotFoundError:
            pass
    summary["users"] = ensure_users()
    from zimao.trade.demo import load as load_trade

    summary["trade"] = load_trade(password=DEMO_PASSWORD)
    from zimao.catalog import zone

    # The demo zone's profile (片区配置), unless an administrator already stored one: `make run`
    # runs this every time and must not undo a zone's own configuration.
    if not zone.current().stored:
        zone.load_packaged(settings.ZIMAO_ZONE_PROFILE, actor="system:demo")
        summary["zone"] = 1
    from zimao.bonded.demo import load as load_bonded

    summary["bonded"] = load_bonded(password=DEMO_PASSWORD)
    for name, industry, form in REPORT_COMPANIES:
        register_demo_entity(
            name=name, division="410300", org_form=form, industry=industry, established_on=date(2017, 4, 1)
        )  # the zone opened on 1 April 2017
    summary["companies"] = len(REPORT_COMPANIES)
    try:
        from zimao.monitor.demo import load_demo
    except ImportError:
        load_demo = None
    if load_demo:
        summary["monitor"] = load_demo() or 0
    return summary
