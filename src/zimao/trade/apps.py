from django.apps import AppConfig


class TradeConfig(AppConfig):
    name = "zimao.trade"
    label = "trade"
    verbose_name = "国际贸易 Trade"

    def ready(self):
        # The sandbox agency registers itself with the adapter registry on import.
        # The certificate of origin's plugins for its catalogue entry (RCEP-CO) on the case engine.
        from zimao.trade import labels  # noqa: F401 — field words for errors (出口商名称 / Exporter name)
        from zimao.trade.certificates import case_service
        from zimao.trade.window import sandbox  # noqa: F401

        case_service.register_credential_kind()
        _register_monitor_source()

    def nav_links(self, user, officer) -> list[dict]:
        """Masthead links (web collects them from every app): trade for companies, the issuing desk
        for the officers of an issuing body."""
        from django.urls import reverse
        from django.utils.translation import gettext as _

        from zimao.trade.services import issuing_officer

        if officer is None:
            return [{"key": "trade", "url": reverse("trade:home"), "label": _("International trade")}]
        if issuing_officer(user):
            return [{"key": "trade_desk", "url": reverse("trade:desk"), "label": _("Certificate desk")}]
        return []


def _register_monitor_source() -> None:
    """Let the dashboard rebuild the RCEP certificate and bonded-declaration figures from this
    app's rows (if it is here)."""
    try:
        from zimao.core.events import register_history
    except ImportError:
        return
    from zimao.trade.services import monitor_events
    from zimao.trade.window.services import monitor_events as bonded_events

    for code, source in (("trade.rcep_certificates", monitor_events), ("bonded.declarations", bonded_events)):
        try:
            register_history(code, source)
        except LookupError:  # a monitor that does not know the stream
            pass
