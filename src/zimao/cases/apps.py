from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zimao.cases"
    label = "cases"
    verbose_name = "办件 Cases"
