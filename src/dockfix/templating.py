"""The jinja2 templates in ``dockfix/templates`` (imported only when a
template is rendered: a plain run never pays for jinja2)."""

from __future__ import annotations

import os
from functools import lru_cache

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


@lru_cache(maxsize=1)
def environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # Markdown and plain text, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(name: str, **variables) -> str:
    return environment().get_template(name).render(**variables)
