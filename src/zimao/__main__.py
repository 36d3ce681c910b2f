"""The ``zimao`` command: Django's manage.py with zimao's own commands beside it.

``zimao migrate``, ``zimao demo``, ``zimao serve``, ``zimao uscc CODE…``, ``zimao sweep``,
``zimao audit verify`` — each zimao command is a management command in the app it belongs to.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["version"]):
        # Django's own --version would print Django's version; people asking zimao mean zimao's.
        from zimao import __version__

        print(f"zimao {__version__}")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zimao.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zimao", *args])


if __name__ == "__main__":
    main()
