#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path

# The project package is called `site`, a name the standard library already
# owns (and imports at interpreter start-up). Giving the stdlib module a
# __path__ turns it into a namespace for our folder, so `site.settings` and
# friends import normally. Every entrypoint (this file, conftest.py,
# site/gunicorn.conf.py) does this before Django loads.
import site

site.__path__ = [str(Path(__file__).resolve().parent / "site")]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
