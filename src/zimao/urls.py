"""Root URLs. Each zimao app that has a ``urls`` module is mounted by convention, so adding an
area of the platform never means editing this file."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from zimao.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

for config in apps.get_app_configs():
    if config.name.startswith("zimao.") and find_spec(f"{config.name}.urls"):
        module = import_module(f"{config.name}.urls")
        urlpatterns.append(path(getattr(module, "prefix", ""), include((module.urlpatterns, config.label))))

handler404 = "zimao.portal.pages.not_found"
handler403 = "zimao.portal.pages.forbidden"
