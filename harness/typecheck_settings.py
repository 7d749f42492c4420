"""
Settings for the type checker's Django plugin: mypy runs in a process where
`site` is the standard library's module, so the project package is made
importable first, as manage.py does, and its settings are then the site's own.
"""

import os
from pathlib import Path

import site

site.__path__ = [str(Path(__file__).resolve().parent.parent / "site")]
os.environ.setdefault("DJANGO_SECRET_KEY", "type-checking-only-" + "x" * 40)

from site.settings import *  # noqa: E402, F403
