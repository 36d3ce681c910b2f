"""Template context every page gets: the zone this node serves."""

from django.conf import settings


def zone(request):
    return {"ZONE_CODE": settings.ZONE_CODE, "SITE_URL": settings.SITE_URL}
