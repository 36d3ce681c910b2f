from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "zimao.notify"
    label = "notify"
    verbose_name = "消息通知 Notifications"

    def ready(self):
        # Notifications listen to what the engine announces (zimao.core.events); nobody imports
        # this app to tell it anything.
        from zimao.notify import subscribers

        subscribers.register()

    def nav_links(self, user, officer) -> list[dict]:
        """The masthead's link to the notification centre, with the unread count — for applicants
        (officers are told on their workbench)."""
        if officer is not None:
            return []
        from django.urls import reverse
        from django.utils.translation import gettext as _

        from zimao.notify import services

        unread = services.unread_count(user)
        label = _("Notifications (%(count)s unread)") % {"count": unread} if unread else _("Notifications")
        return [{"key": "notifications", "url": reverse("notify:centre"), "label": label}]
