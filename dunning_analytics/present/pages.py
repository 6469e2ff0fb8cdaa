"""The package's HTML pages (the start page, the quarterly review) from the jinja2 templates
in `templates/`: one environment, autoescaped, an unknown variable an error.

`render_page(name, **context)` renders `templates/<name>`; values are escaped unless they
are `markupsafe.Markup` (a chart's fragment, a sentence already made HTML-safe).
The letters and e-mails have their own folder (data/letters/, which a user may copy and
edit) and a sandboxed environment of their own (letters._environment).
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def environment():
    """The jinja2 environment of the package's templates (autoescape, StrictUndefined)."""
    import jinja2

    folder = resources.files("dunning_analytics") / "present" / "templates"
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(name: str, **context) -> str:
    """In: a template's file name in templates/ and its variables. Out: the HTML."""
    return environment().get_template(name).render(**context)
