from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_catalogue(sender, using="default", **kwargs):
    """Keep the Indicator table in step with the code catalogue after every migrate/flush."""
    from zimao.monitor import catalogue

    catalogue.sync(using=using)


class MonitorConfig(AppConfig):
    name = "zimao.monitor"
    label = "monitor"
    verbose_name = "运行监测 Monitoring"

    def ready(self):
        post_migrate.connect(_sync_catalogue, sender=self, dispatch_uid="zimao.monitor.sync_catalogue")
        # The dashboard listens to what the apps announce (zimao.core.events); they never import it.
        from zimao.monitor import subscribers

        subscribers.register()
