"""Every notebook runs top to bottom on the demo ledger, and is committed without outputs."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, lang, demo_ledger, monkeypatch, tmp_path):
    monkeypatch.setenv("DUNNING_LEDGER", str(demo_ledger))
    monkeypatch.setenv("DUNNING_LANG", lang)
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    shown = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    plots = [o for o in shown if "application/vnd.plotly.v1+json" in o.get("data", {})]
    widgets = [o for o in shown if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    if path.name == "00_start.ipynb":  # the start page: every view, in the user's language
        import html as html_module

        html = html_module.unescape(shown[0]["data"]["text/html"])
        assert html.count("<li>") == len(NOTEBOOKS) - 1
        assert ("Werk van deze week" if lang == "nl" else "This week's work") in html
    else:
        assert plots or widgets
    text = json.dumps([o.get("data", o.get("text", "")) for o in shown], ensure_ascii=False)
    if lang == "nl":  # Dutch amounts (€ 1.234,56) and no English bucket or grade words
        assert re.search(r"€ -?\d{1,3}(\.\d{3})*,\d\d", text) or not re.search("€", text)
        for english in ("not yet due", "unapplied credit", "formal notice", '"new"'):
            assert english not in text, (path.name, english)
        # every table heading and chart text in words, in Dutch (no raw column names)
        headings = [h for o in shown for h in _table_headings(o)]
        raw = [h for h in headings if "_" in h or ENGLISH.search(h)]
        assert not raw, (path.name, raw)
        chart_words = [w for o in plots for w in _chart_texts(o)]
        english = [w for w in chart_words if "_" in w or ENGLISH.search(w)]
        assert not english, (path.name, english)


ENGLISH = re.compile(r"\b(the|share|paid|revenue|clients|amount|expected|flagged)\b")


def _table_headings(output) -> list[str]:
    """The column headings of the HTML tables in an output, as text."""
    import html as html_module

    page = output.get("data", {}).get("text/html", "")
    cells = re.findall(r"<th[^>]*>(.*?)</th>", page, flags=re.S)
    return [html_module.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def _chart_texts(output) -> list[str]:
    """A plotly chart's title, axis titles and trace names."""
    figure = output["data"]["application/vnd.plotly.v1+json"]
    layout = figure.get("layout", {})

    def title(part) -> str:
        value = (part or {}).get("title", "")
        return value.get("text", "") if isinstance(value, dict) else str(value)

    axes = [v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
    texts = [title(layout)] + [title(a) for a in axes]
    texts += [t.get("name", "") for t in figure.get("data", []) if t.get("name")]
    return [t for t in texts if t]


def _committed(path: Path):
    """The notebook as committed (git's HEAD), or the file itself outside a git checkout: a
    notebook run and saved in JupyterLab does not fail the tests, a committed output does."""
    import subprocess

    root = path.parents[1]
    shown = subprocess.run(
        ["git", "show", f"HEAD:notebooks/{path.name}"], cwd=root, capture_output=True, text=True
    )
    if shown.returncode != 0:
        return nbformat.read(path, as_version=4)
    return nbformat.reads(shown.stdout, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    book = _committed(path)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


def test_commits_strip_notebook_outputs():
    """`make setup` installs nbstripout as the git filter for notebooks."""
    import shutil
    import subprocess

    root = NOTEBOOKS[0].parents[1]
    if not (root / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout")
    attributes = subprocess.run(
        ["git", "check-attr", "filter", "--", f"notebooks/{NOTEBOOKS[0].name}"],
        cwd=root,
        capture_output=True,
        text=True,
    ).stdout
    assert attributes.strip().endswith("filter: nbstripout"), attributes
    clean = subprocess.run(
        ["git", "config", "--get", "filter.nbstripout.clean"],
        cwd=root,
        capture_output=True,
        text=True,
    ).stdout
    assert "nbstripout" in clean, "run `make setup` to install the filter"


def test_a_notebook_run_and_saved_leaves_git_status_clean(demo_ledger, monkeypatch, tmp_path):
    """Run a notebook and save it as JupyterLab does (outputs, counts, the kernel's
    language_info): git's clean filter, as `make setup` configures it, gives back exactly
    the committed file, so `git status` stays clean and `git pull` can update the kit."""
    import subprocess
    import sys

    root = NOTEBOOKS[0].parents[1]
    extra = subprocess.run(
        ["git", "config", "--get", "filter.nbstripout.extrakeys"],
        cwd=root, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    assert extra == "metadata.language_info", "run `make setup` to configure the filter"
    path = next(p for p in NOTEBOOKS if p.name.startswith("02"))
    monkeypatch.setenv("DUNNING_LEDGER", str(demo_ledger))
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert book.metadata.get("language_info")  # what a save adds
    cleaned = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--extra-keys", extra],
        input=nbformat.writes(book), cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    committed = subprocess.run(
        ["git", "show", f"HEAD:notebooks/{path.name}"], cwd=root, capture_output=True, text=True
    ).stdout
    assert cleaned == committed
