from django.apps import AppConfig


def phone_of(user) -> str:
    """The phone number the person gave when registering (the profile keeps it encrypted)."""
    from zimao.web.models import Profile

    profile = Profile.objects.filter(user=user).only("phone").first()
    return profile.phone if profile else ""


class WebConfig(AppConfig):
    name = "zimao.web"
    label = "web"
    verbose_name = "门户 Web"

    def ready(self):
        # Notifications reach the applicant's phone through the portal's profile.
        from zimao.notify import contacts

        contacts.register_phone_source(phone_of)
