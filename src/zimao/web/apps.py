from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zimao.web"
    label = "web"
    verbose_name = "门户 Web"
