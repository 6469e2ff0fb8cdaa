"""The kit's JupyterLab: a saved notebook keeps no widget views (their models live only in
a running kernel), each replaced by a line asking to run the notebook."""

import copy

from dunning_analytics.notebook.lab_settings import RUN_TO_SEE, WIDGET_VIEW, saved_without_widgets

PLOTLY = "application/vnd.plotly.v1+json"
VIEW = {
    "output_type": "display_data",
    "metadata": {},
    "data": {WIDGET_VIEW: {"model_id": "abc", "version_major": 2}, "text/plain": "HBox()"},
}
PLOT = {"output_type": "display_data", "metadata": {}, "data": {PLOTLY: {}, "text/plain": "F"}}


def notebook():
    return {
        "type": "notebook",
        "content": {
            "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {}}},
            "cells": [
                {"cell_type": "markdown", "source": "# Ouderdom"},
                {"cell_type": "code", "outputs": [copy.deepcopy(VIEW), copy.deepcopy(PLOT)]},
            ],
        },
    }


def test_widget_views_are_saved_as_a_line_to_run_the_notebook(monkeypatch):
    monkeypatch.setenv("DUNNING_LANG", "nl")
    model = notebook()
    saved_without_widgets(model, "02_aging.ipynb")
    view, plot = model["content"]["cells"][1]["outputs"]
    assert view["data"] == {
        "text/plain": RUN_TO_SEE["nl"],
        "text/markdown": f"*{RUN_TO_SEE['nl']}*",
    }
    assert plot == PLOT  # other outputs stay as they were
    assert "widgets" not in model["content"]["metadata"]
    other = {"type": "file", "content": "x"}
    saved_without_widgets(other, "notes.txt")
    assert other == {"type": "file", "content": "x"}
