from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "zimao.cases"
    label = "cases"
    verbose_name = "办件 Cases"

    def ready(self):
        from zimao.cases import deadlines, rules  # noqa: F401 — registers the engine's own rules

        deadlines.connect()  # recount provisional deadlines when a year's holidays are entered
