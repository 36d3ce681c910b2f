"""``zimao token USERNAME [--name NAME]``: issue an API bearer token (printed once)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zimao.core.apiauth import issue_token


class Command(BaseCommand):
    help = "Issue an API token for a user. 为用户签发接口访问令牌。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"没有该用户 no such user: {options['username']}")
        self.stdout.write(issue_token(user, options["name"]))
