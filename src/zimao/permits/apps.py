from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "zimao.permits"
    label = "permits"
    verbose_name = "准营许可 Permits"

    def ready(self):
        # Registers the rules, effects, outputs, checks and task source the permit catalogue names,
        # and the licence kinds and field labels permits print.
        from zimao.permits import plugins  # noqa: F401

        plugins.register_licence_vocabulary()
