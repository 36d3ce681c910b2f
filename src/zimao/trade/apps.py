from django.apps import AppConfig


class TradeConfig(AppConfig):
    name = "zimao.trade"
    label = "trade"
    verbose_name = "国际贸易 Trade"
