"""Server-rendered dashboard pages: a shared layout filled with one page template (string.Template, escaped)."""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from string import Template

PAGES = {"jobs": "jobs.html", "job": "job.html", "markov": "markov.html"}


@lru_cache(maxsize=None)
def template(name: str) -> Template:
    """A template from sgdlab/dashboard/templates (read once)."""
    return Template(resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8"))


def render_page(page: str, title: str, auth_required: bool, **values: str) -> str:
    """The HTML of dashboard page `page`: every value is HTML-escaped before it is placed."""
    safe = {k: html.escape(str(v), quote=True) for k, v in values.items()}
    content = template(PAGES[page]).safe_substitute(safe)
    return template("layout.html").substitute(
        title=html.escape(title), page=page, content=content, job_id=safe.get("job_id", ""),
        auth="required" if auth_required else "open")
