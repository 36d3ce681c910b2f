"""``zimao materials reseal``: uploaded files at rest.

Seals every clear file under MEDIA_ROOT (uploaded before sealing existed) and re-seals files
sealed with a retired key under the current ``ZIMAO_FIELD_KEY`` (after a rotation put the old key
in ``ZIMAO_FIELD_KEY_OLD``); sets owner-only modes on files, folders and the SQLite database.
Idempotent. (Unattached uploads are deleted after their retention period by ``zimao sweep``.)
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Seal uploaded files at rest with the field key (材料加密存储)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reseal"])

    def handle(self, *args, action, **options):
        from zimao.core.storage import reseal, tighten_data_dir

        counts = reseal(settings.MEDIA_ROOT)
        counts["modes_tightened"] = len(tighten_data_dir())
        self.stdout.write(json.dumps(counts, ensure_ascii=False))
