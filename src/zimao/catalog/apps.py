from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "zimao.catalog"
    label = "catalog"
    verbose_name = "事项目录 Catalogue"

    def ready(self):
        from zimao.catalog.models import Department, ProcessDefinition, ServiceItem, ZoneProfile
        from zimao.core import refcache

        # Before anything is cached: a write in any transaction must be noticed (core.refcache).
        refcache.watch(ServiceItem, ProcessDefinition, Department, ZoneProfile)
