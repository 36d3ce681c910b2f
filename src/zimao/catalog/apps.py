from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "zimao.catalog"
    label = "catalog"
    verbose_name = "事项目录 Catalogue"
