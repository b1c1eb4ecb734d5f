"""Location of the web chat's static files (HTML, JS, CSS)."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
