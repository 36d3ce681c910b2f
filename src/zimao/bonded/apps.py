from django.apps import AppConfig


class BondedConfig(AppConfig):
    """综合保税区 — the comprehensive bonded zone's account books, movements and gate."""

    name = "zimao.bonded"
    label = "bonded"
    verbose_name = "综合保税区 Bonded zone"

    def ready(self):
        _register_history()

    def nav_links(self, user, officer) -> list[dict]:
        """Masthead link for whoever has a part in the bonded zone (operator, customs, gate)."""
        from django.urls import reverse
        from django.utils.translation import gettext as _

        from zimao.bonded import access

        if access.role_of(user):
            return [{"key": "bonded", "url": reverse("bonded:home"), "label": _("Bonded zone")}]
        return []


def _register_history() -> None:
    """Let a subscriber (the dashboard) rebuild the bonded-book movement figures from this app's postings."""
    from zimao.bonded.indicators import BOOKS_ACTIVE, MOVEMENTS, book_events, monitor_events
    from zimao.core import events

    events.register_history(MOVEMENTS, monitor_events)
    events.register_history(BOOKS_ACTIVE, book_events)
