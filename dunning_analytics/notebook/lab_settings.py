"""The kit's own JupyterLab settings: its menus in the user's language (JupyterLab's Dutch
language pack, jupyterlab-language-pack-nl-NL) and no news pop-ups.

`make lab` runs `python -m dunning_analytics.notebook.lab_settings FOLDER` and starts
JupyterLab with JUPYTERLAB_SETTINGS_DIR=FOLDER, so the user's own JupyterLab settings
elsewhere stay as they are. The language is DUNNING_LANG's (formatting.resolve_lang).

`saved_without_widgets` is the server's pre-save hook (`make lab` passes
--ContentsManager.pre_save_hook): a saved notebook keeps no widget views, whose models
live only in a running kernel (reopened, they showed "Error displaying widget: model not
found"); each becomes a line asking to run the notebook.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dunning_analytics.common.formatting import resolve_lang

LOCALES = {"nl": "nl_NL", "en": "en"}  # our language -> JupyterLab's locale
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
RUN_TO_SEE = {
    "en": "Run the notebook to see this view (menu Run ▸ Run All Cells).",
    "nl": "Voer het notebook uit om deze weergave te zien (menu Uitvoeren ▸ Run All Cells).",
}


def write_lab_settings(folder: str | Path, lang: str | None = None) -> Path:
    """Write JupyterLab user settings into `folder`: the locale for `lang` (default
    DUNNING_LANG) and no news or update checks; other settings in the folder are kept.
    Out: the folder."""
    folder = Path(folder)
    settings = {
        ("translation-extension", "plugin"): {"locale": LOCALES[resolve_lang(lang)]},
        ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False},
    }
    for (extension, plugin), values in settings.items():
        path = folder / "@jupyterlab" / extension / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        path.write_text(json.dumps({**current, **values}, indent=2), encoding="utf-8")
    return folder


def saved_without_widgets(model: dict, path: str = "", **kwargs) -> None:
    """Jupyter's pre-save hook. In: the contents model about to be written. A notebook's
    widget views (and any saved widget state) are replaced, in place, by a note in
    DUNNING_LANG's language asking to run the notebook; other outputs stay as they are."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    notebook = model["content"]
    notebook.get("metadata", {}).pop("widgets", None)
    note = RUN_TO_SEE[resolve_lang()]
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                output["data"] = {"text/plain": note, "text/markdown": f"*{note}*"}


if __name__ == "__main__":
    print(write_lab_settings(sys.argv[1] if len(sys.argv) > 1 else ".jupyter/lab-settings"))
