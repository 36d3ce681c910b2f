"""The trade part of the demo zone — 演示数据: the issuing bodies and agencies, one officer each
for the certificate-of-origin desk (贸促会) and customs (海关), and an exporting company that the
demo applicant acts for. Idempotent; called from ``zimao.web.demo.load``.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

OFFICERS = [
    # (username, first name, department, role)
    ("reviewer_coo", "周签证", "CCPIT", "reviewer"),
    ("reviewer_customs", "郑海关", "CUSTOMS", "reviewer"),
]
DEMO_EXPORTER = {"name": "洛阳智贸进出口有限公司", "org_form": "有限公司", "industry": "国际贸易", "division": "410300"}


@transaction.atomic
def load(password: str, applicant_username: str = "applicant") -> dict:
    """Load the trade catalogue (CUSTOMS, COMMERCE, CCPIT), the officers and the demo exporter."""
    from django.contrib.auth.models import Group

    from zimao.catalog.models import Department, Officer
    from zimao.catalog.services import load_packaged
    from zimao.registry.services import register_demo_entity

    summary = {"catalogue": sum(load_packaged("trade", actor="system:demo").values())}
    User = get_user_model()
    made = 0
    for username, first_name, dept, role in OFFICERS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": first_name})
        if created:
            user.set_password(password)
            user.save()
            made += 1
        Officer.objects.update_or_create(
            user=user, defaults={"department": Department.objects.get(code=dept), "role": role}
        )
        group, _ = Group.objects.get_or_create(name="reviewer")
        user.groups.add(group)
    summary["officers"] = made
    applicant = User.objects.filter(username=applicant_username).first()
    entity = register_demo_entity(established_on=date(2019, 6, 1), **DEMO_EXPORTER)
    if applicant is not None and entity.applicant_id is None:
        # The demo applicant acts for this company (经办人), as a real one would after establishment.
        entity.applicant = applicant
        entity.save(update_fields=["applicant"])
    summary["exporter"] = entity.uscc
    return summary
