"""``zimao bonded revalue`` — count the trade movements whose month had no customs rate, once it
is entered; ``zimao bonded status`` — books, books in use and movements waiting for a rate."""

from django.core.management.base import BaseCommand

from zimao.bonded import services as bonded


class Command(BaseCommand):
    help = "Bonded zone: revalue movements waiting for a rate (revalue); show the zone's books (status)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["revalue", "status"])

    def handle(self, *args, action: str, **options):
        if action == "revalue":
            self.stdout.write(f"revalued {bonded.revalue()} postings")
            return
        use = bonded.warehouse_use()
        waiting = bonded.missing_rates()
        self.stdout.write(f"books: {use['books']}, holding goods: {use['in_use']}")
        for w in waiting:
            self.stdout.write(
                self.style.WARNING(
                    f"{w['list']}: no customs rate of {w['currency']} for {w['at']:%Y-%m} "
                    "— enter it, then run `zimao bonded revalue`"
                )
            )
