from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "zimao.permits"
    label = "permits"
    verbose_name = "准营许可 Permits"

    def ready(self):
        # Registers the rules, effects, outputs, checks and task source the permit catalogue names,
        # and the licence kinds and field labels permits print; the reform's vocabulary as item
        # attributes of the catalogue (catalog.extensions).
        from zimao.permits import catalogue, plugins

        catalogue.register()
        plugins.register_licence_vocabulary()
        _register_history()

    def nav_links(self, user, officer) -> list[dict]:
        """Masthead links (web collects them from every app): a company's permits; an officer's
        post-approval checks (事后核查)."""
        from django.urls import reverse
        from django.utils.translation import gettext as _

        if officer is None:
            return [{"key": "permits", "url": reverse("permits:companies"), "label": _("My permits")}]
        return [{"key": "post_checks", "url": reverse("permits:checks"), "label": _("Post-approval checks")}]


def _register_history() -> None:
    """Let a subscriber (the dashboard) rebuild the permits.issued figures from this app's rows."""
    from zimao.core import events
    from zimao.permits.indicators import PERMITS_ISSUED, monitor_events

    events.register_history(PERMITS_ISSUED, monitor_events)
