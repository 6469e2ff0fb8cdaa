"""plotly FigureWidgets whose front end is compiled once per page instead of once per chart.

plotly's FigureWidget is an anywidget carrying a 5 MB module; anywidget compiles it for
every chart and gives each chart 2 seconds to start, after which the chart never takes
another update ("[anywidget] Failed to initialize model." in the browser's console).
Compiling took about 2 seconds on a 2-core machine, so an explorer's chart could freeze
on its first picture. `FigureWidget` here is plotly's own, with a small front end
(`static/shared_figure_widget.js`, 3 KB, all that anywidget loads and times): plotly's
module travels as the text of the `_bundle` trait, is compiled once per page after the
chart has started, and hands each chart an instance from plotly's own factory; until it
is there, a chart keeps what Python sends it and replays it in order. `preload()` starts
the compile when a notebook first imports this package, before any chart exists.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import anywidget
import plotly
import plotly.graph_objects as go
import traitlets

_STUB = Path(__file__).with_name("static") / "shared_figure_widget.js"
_BUNDLE = Path(plotly.__file__).with_name("package_data") / "widgetbundle.js"


@functools.cache
def _bundle_text() -> str:
    return _BUNDLE.read_text(encoding="utf-8")


def module_key() -> str:
    """The name under which a page keeps the compiled module (with the bundle's digest, so
    two plotly versions on one page never mix)."""
    digest = hashlib.sha256(_bundle_text().encode("utf-8")).hexdigest()[:16]
    return f"__dunning_analytics_plotly_{digest}"


@functools.cache
def shared_esm() -> str:
    """The front-end module's text: the stub with the key under which the page keeps the
    compiled module (plotly's module itself travels as the `_bundle` trait)."""
    return _STUB.read_text(encoding="utf-8").replace("__KEY__", module_key())


class FigureWidget(go.FigureWidget):
    """plotly's FigureWidget (same Python API, same front end) started in time on a busy
    page: see the module's docstring."""

    _esm = shared_esm()
    _bundle = traitlets.Unicode(_bundle_text()).tag(sync=True)


class _Preload(anywidget.AnyWidget):
    """An invisible widget whose only job is to make the page compile plotly's module."""

    _esm = shared_esm()
    _bundle = traitlets.Unicode(_bundle_text()).tag(sync=True)
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
