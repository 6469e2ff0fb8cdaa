"""The kit's own JupyterLab settings: its menus in the user's language (JupyterLab's Dutch
language pack, jupyterlab-language-pack-nl-NL) and no news pop-ups.

`make lab` runs `python -m dunning_analytics.lab_settings FOLDER` and starts JupyterLab with
JUPYTERLAB_SETTINGS_DIR=FOLDER, so the user's own JupyterLab settings elsewhere stay as
they are. The language is DUNNING_LANG's (formatting.resolve_lang).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .formatting import resolve_lang

LOCALES = {"nl": "nl_NL", "en": "en"}  # our language -> JupyterLab's locale


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


if __name__ == "__main__":
    print(write_lab_settings(sys.argv[1] if len(sys.argv) > 1 else ".jupyter/lab-settings"))
