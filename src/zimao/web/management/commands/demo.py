"""``zimao demo``: load the Luoyang demo zone into the configured database.

Running it twice changes nothing. The companies the zone report names are created with
*generated* USCCs (marked ``demo``), never presented as the real companies' codes.
"""

from django.core.management.base import BaseCommand

from zimao.web import demo


class Command(BaseCommand):
    help = "Load the demo zone (洛阳片区演示数据). 加载演示数据。"

    def handle(self, *args, **options):
        summary = demo.load()
        self.stdout.write("演示数据已就绪 Demo zone ready: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
        self.stdout.write("")
        self.stdout.write(f"演示账号 Demo logins (password 密码 for all: {demo.DEMO_PASSWORD})")
        for user in demo.USERS + demo.AREA_USERS:
            self.stdout.write(f"  {user['role_zh']:<10} {user['role_en']:<28} {user['username']}")
