from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "zimao.monitor"
    label = "monitor"
    verbose_name = "运行监测 Monitoring"
