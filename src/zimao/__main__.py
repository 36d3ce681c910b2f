"""The ``zimao`` command: Django's manage.py with zimao's own commands beside it.

``zimao migrate``, ``zimao demo``, ``zimao serve``, ``zimao uscc CODE…``, ``zimao sweep``,
``zimao audit verify`` — each zimao command is a management command in the app it belongs to.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zimao.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zimao", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
