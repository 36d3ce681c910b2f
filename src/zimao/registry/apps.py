from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zimao.registry"
    label = "registry"
    verbose_name = "市场主体登记 Registry"

    def ready(self):
        from zimao.registry import services  # noqa: F401 — registers the registry's rules, effects and outputs
