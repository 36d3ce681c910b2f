"""Template context every page gets: the zone this node serves, and the links of the masthead for
the person reading (an applicant's applications, an officer's workbench, the window's hand-outs,
the administrator's dashboard)."""

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _


def nav_links(user) -> list[dict]:
    from zimao.catalog.models import Officer
    from zimao.catalog.services import officer_of

    if not getattr(user, "is_authenticated", False):
        return []
    officer = officer_of(user)
    links = []
    if officer is None:
        links.append({"key": "cases", "url": reverse("web:cases"), "label": _("My applications")})
        links.append({"key": "documents", "url": reverse("web:documents"), "label": _("My licences and documents")})
        links.append({"key": "account", "url": reverse("web:account"), "label": _("My account")})
    else:
        links.append({"key": "workbench", "url": reverse("web:workbench"), "label": _("Workbench")})
        if officer.role in (Officer.Role.CLERK, Officer.Role.ADMIN) or officer.department.is_window:
            links.append({"key": "window", "url": reverse("web:window"), "label": _("Window hand-out")})
        if officer.role == Officer.Role.CLERK or officer.department.is_window:  # 前台综合受理
            links.append({"key": "intake", "url": reverse("web:intake"), "label": _("Counter intake")})
        if officer.role in (Officer.Role.CLERK, Officer.Role.ADMIN):  # 回访核实 and 申诉复核
            links.append({"key": "ratings", "url": reverse("web:ratings"), "label": _("Ratings follow-up")})
    # Each area of the platform adds its own links (AppConfig.nav_links), so a new app needs no
    # edit here.
    for config in apps.get_app_configs():
        if config.name.startswith("zimao.") and hasattr(config, "nav_links"):
            links.extend(config.nav_links(user, officer))
    if (officer is not None and officer.role == Officer.Role.ADMIN) or user.is_staff:
        links.append({"key": "dashboard", "url": "/dashboard/", "label": _("Dashboard")})
        links.append({"key": "admin", "url": reverse("admin:index"), "label": _("Administration")})
    return links


def zone(request):
    user = getattr(request, "user", None)
    return {
        "ZONE_CODE": settings.ZONE_CODE,
        "SITE_URL": settings.SITE_URL,
        # Lazy: pages that never draw the masthead cost no query.
        "nav_links": SimpleLazyObject(lambda: nav_links(user)),
    }
