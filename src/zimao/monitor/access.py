"""Who may see the dashboard — 访问控制: zone administrators (管委会) only.

A zone administrator is a staff user or a member of the ``zone_admin`` group. Anonymous
visitors are sent to log in; anyone else logged in gets 403. Unpublished figures are never shown
outside these pages (the public page and API show only published indicators).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

ZONE_ADMIN_GROUP = "zone_admin"


def is_zone_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_staff or user.groups.filter(name=ZONE_ADMIN_GROUP).exists()


def zone_admin_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_zone_admin(request.user):
            raise PermissionDenied("zone administrators only")
        return view(request, *args, **kwargs)

    return wrapped
