"""plotly FigureWidgets whose front end is compiled once per page instead of once per chart.

plotly's FigureWidget is an anywidget carrying a 5 MB module; anywidget compiles it for
every chart and gives each chart 2 seconds to start, after which the chart never takes
another update ("[anywidget] Failed to initialize model." in the browser's console).
Compiling took about 2 seconds on a 2-core machine, so an explorer's chart could freeze
on its first picture. `FigureWidget` here is plotly's own, with a small front end
(`static/shared_figure_widget.js`) that compiles plotly's module once per page and
hands each chart an instance from plotly's own factory; `preload()` starts that compile
when a notebook first imports this package, before any chart exists.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import anywidget
import plotly
import plotly.graph_objects as go
import traitlets

_STUB = Path(__file__).with_name("static") / "shared_figure_widget.js"
_BUNDLE = Path(plotly.__file__).with_name("package_data") / "widgetbundle.js"


@functools.cache
def shared_esm() -> str:
    """The front-end module's text: the stub with plotly's bundle as a string literal and
    a key (the bundle's digest) under which the page keeps the compiled module."""
    bundle = _BUNDLE.read_text(encoding="utf-8")
    digest = hashlib.sha256(bundle.encode("utf-8")).hexdigest()[:16]
    stub = _STUB.read_text(encoding="utf-8")
    return stub.replace("__BUNDLE__", json.dumps(bundle)).replace("__DIGEST__", digest)


class FigureWidget(go.FigureWidget):
    """plotly's FigureWidget (same Python API, same front end) started in time on a busy
    page: see the module's docstring."""

    _esm = shared_esm()


class _Preload(anywidget.AnyWidget):
    """An invisible widget whose only job is to make the page compile plotly's module."""

    _esm = shared_esm()
    _preload = traitlets.Bool(True).tag(sync=True)


_preloaded: list[_Preload] = []


def preload() -> None:
    """In a running Jupyter kernel, open the preload widget once (nothing is displayed);
    elsewhere (scripts, the CLI, tests) do nothing."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if _preloaded or shell is None or getattr(shell, "kernel", None) is None:
        return
    _preloaded.append(_Preload())
