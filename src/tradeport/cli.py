"""The `tradeport` command: Django's management commands plus Tradeport's own.

`tradeport run` starts everything; `tradeport --help` lists every command.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tradeport", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
