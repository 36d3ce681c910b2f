from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zimao.core"
    label = "core"
    verbose_name = "核心 Core"

    def ready(self):
        from zimao.core import calendar

        calendar.connect_signals()
        from zimao.core import refcache
        from zimao.core.models import SigningKey

        refcache.watch(SigningKey)
        from zimao.core.storage import tighten_data_dir

        tighten_data_dir()  # an older installation's world-readable database and folders
