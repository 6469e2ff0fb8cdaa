"""The notebooks' explorers, panels and forms (ipywidgets), the start page, the notebooks'
prose and the kit's JupyterLab settings: thin, they call the layers below.

Importing this package in a Jupyter kernel (every notebook's first cell does) opens an
invisible widget that makes the page compile plotly's chart module before a chart asks
for it (see `shared_figure`).
"""

from dunning_analytics.notebook.shared_figure import preload as _preload_charts

_preload_charts()
