"""The notebooks in a real browser: JupyterLab in headless Chromium, as a user sees it.

Marked `browser`; run with `make test-browser`. Skips with a reason when
Chromium (Debian's /usr/bin/chromium) or playwright is missing. Screenshots
go to artifacts/screenshots/ (ignored by git, left behind by CI).
"""

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from dunning_analytics.notebook.lab_settings import RUN_TO_SEE, write_lab_settings
from dunning_analytics.notebook.notebook_text import text as notebook_text
from dunning_analytics.present import pdf

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
START_PAGE = "00_start.ipynb"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# charts drawn inside each notebook's explorer widget (besides the top-level ones)
WIDGET_CHARTS = {
    "02_aging.ipynb": 1,
    "03_payment_behaviour.ipynb": 2,
    "04_prepayment_risk.ipynb": 1,
    "07_cash_forecast.ipynb": 1,
}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = list(pdf.CHROMIUM_ARGS)
# the server's pre-save hook, as `make lab` passes it (widget views saved as a line to run)
SAVE_HOOK = "dunning_analytics.notebook.lab_settings.saved_without_widgets"
MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"
# `make bench-browser SIZE=N` runs the explorer timing tests on a scale ledger instead
BIG_LEDGER = os.environ.get("DUNNING_BROWSER_LEDGER")
LEDGER_LABEL = os.environ.get("DUNNING_BROWSER_LEDGER_LABEL", "demo ledger")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(demo_ledger, tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, private Jupyter folders and copies of the notebooks."""
    yield from _lab(demo_ledger, tmp_path_factory, "en")


@pytest.fixture(scope="module")
def lab_nl(demo_ledger, tmp_path_factory):
    """The same JupyterLab with DUNNING_LANG=nl: everything in Dutch."""
    yield from _lab(demo_ledger, tmp_path_factory, "nl")


def _notebook_copies(tmp_path_factory, name: str, needs: str) -> tuple[Path, Path]:
    """A fresh home folder with copies of the notebooks in `home/notebooks` (running and
    autosaving must not touch the originals); skips without Chromium or the `needs` module."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped")
    pytest.importorskip(needs, reason=f"{needs} is not installed")
    home = tmp_path_factory.mktemp(name)
    work = home / "notebooks"
    work.mkdir()
    for notebook in NOTEBOOKS:
        shutil.copy(notebook, work / notebook.name)
    return home, work


def _jupyter_env(home: Path, ledger, lang: str, **extra) -> dict:
    """The environment of a Jupyter server under test: private Jupyter folders in `home`,
    the ledger and the language of the kit, and `extra` variables."""
    return dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        DUNNING_LEDGER=str(ledger),
        DUNNING_LANG=lang,
        **extra,
    )


def _lab(demo_ledger, tmp_path_factory, lang):
    home, work = _notebook_copies(tmp_path_factory, "jupyter", "playwright.sync_api")
    labconfig = home / "config" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    # the settings `make lab` writes: menus in the language, no news or update pop-ups
    write_lab_settings(home / "settings", lang)
    # render every cell (no windowing), so off-screen outputs exist in the page too
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none", "autoStartDefaultKernel": True})
    )
    token = os.urandom(16).hex()
    port = _free_port()
    env = _jupyter_env(
        home,
        BIG_LEDGER or demo_ledger,
        lang,
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    base = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--allow-root",
        f"--ContentsManager.pre_save_hook={SAVE_HOOK}",  # as `make lab` starts it
    ]  # fmt: skip
    with _serving(argv, env, f"{base}/api/status?token={token}", home / "lab.log", "JupyterLab"):
        yield {"base": base, "token": token, "folder": work, "lang": lang}


@contextlib.contextmanager
def _serving(argv, env, ready_url: str, log_path: Path, what: str):
    """Run a server (JupyterLab, Voila) until the block ends; fail when `ready_url` does not
    answer within 90 s, with the end of its log."""
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(ready_url, timeout=30)
            break
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"{what} did not start:\n" + log_path.read_text()[-2000:])
            time.sleep(0.5)
    try:
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_make_lab_starts_jupyterlab_with_the_save_hook():
    assert f"--ContentsManager.pre_save_hook={SAVE_HOOK}" in MAKEFILE.read_text()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# anywidget logs this when a widget's model takes more than 2 s to start in the browser
# (a fixed timer in its widget.js); such a widget never takes another update. plotly's
# chart module took about that long to compile per chart, hence notebook.shared_figure.
ANYWIDGET_TIMER = "[anywidget] Failed to initialize model."


# JupyterLab's own words the tests click or read, per language (its Dutch language pack)
LAB_WORDS = {"en": {"Idle": "Idle", "Run": "Run"}, "nl": {"Idle": "Inactief", "Run": "Uitvoeren"}}


class Notebook:
    """One notebook open in JupyterLab, with the browser console's errors and outside requests."""

    def __init__(self, browser, lab, name, init_script: str | None = None):
        self.folder = lab["folder"]
        self.page = browser.new_page(viewport={"width": 1400, "height": 1600})
        if init_script:  # runs in the page before JupyterLab's own scripts
            self.page.add_init_script(init_script)
        self.console_errors = []
        self.outside_requests = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on(
            "request",
            lambda r: (
                not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                and self.outside_requests.append(r.url)
            ),
        )
        self.name = name
        self.lang = lab["lang"]
        self.suffix = "" if lab["lang"] == "en" else f"-{lab['lang']}"
        # ?reset: a fresh workspace, so tabs of earlier tests are not restored
        self.page.goto(f"{lab['base']}/lab/tree/{name}?reset&token={lab['token']}")
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)

    def accept_dialogs(self) -> None:
        """Accept a dialog JupyterLab may show on a fresh machine (e.g. 'Select Kernel')."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count() and dialog.first.is_visible():
            dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
            time.sleep(0.5)

    def prompts(self) -> list[str]:
        return self.page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()

    def wait_for_kernel(self, timeout: float = 90) -> None:
        """Wait until the kernel is idle, accepting a kernel dialog on the way."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.accept_dialogs()
            status = self.page.locator(".jp-StatusBar-Widget").all_inner_texts()
            if any(LAB_WORDS[self.lang]["Idle"] in text for text in status):
                return
            time.sleep(0.5)
        raise AssertionError(f"{self.name}: the kernel did not start")

    def run_all(self, timeout: float = 180) -> None:
        """Run all cells (retrying until the kernel takes them) and wait until all are done."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.wait_for_kernel()
        deadline = time.time() + timeout
        started = False
        while time.time() < deadline:
            if not started:
                self.accept_dialogs()
                try:
                    run = LAB_WORDS[self.lang]["Run"]
                    self.page.get_by_role("menuitem", name=run, exact=True).click(timeout=5000)
                    self.page.get_by_text("Run All Cells", exact=True).click(timeout=5000)
                except PlaywrightTimeout:
                    self.page.keyboard.press("Escape")
                    continue
            for _ in range(20):
                time.sleep(0.5)
                prompts = self.prompts()
                if any(p.strip() not in ("[ ]:", "") for p in prompts):
                    started = True
                    break
            prompts = self.prompts()
            if (
                started
                and prompts
                and all(
                    p.strip().startswith("[") and p.strip()[1:-2].strip().isdigit() for p in prompts
                )
            ):
                time.sleep(1.5)  # let the last outputs and widgets draw
                return
        raise AssertionError(f"{self.name}: cells did not finish: {self.prompts()}")

    def plots(self) -> list[dict]:
        """Every plotly chart: number of traces and of data points drawn."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
                traces: (el.data || []).length,
                points: (el.calcdata || []).reduce((n, trace) => n + trace.length, 0),
                svg: el.querySelectorAll('.main-svg').length,
                title: (el.querySelector('.gtitle') || {}).textContent || '',
                output: (el.closest('.jp-OutputArea-output') || {}).className || ''
            }))"""
        )

    def screenshot(self) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{Path(self.name).stem}{self.suffix}.png"))

    def saved_outputs(self) -> list[str]:
        """Save the notebook and return the kind of each top-level output: plot, widget, other."""
        path = self.folder / self.name
        before = path.stat().st_mtime_ns
        self.page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Control+s")
        deadline = time.time() + 20
        while path.stat().st_mtime_ns == before and time.time() < deadline:
            time.sleep(0.2)
        book = None
        while book is None:  # the file may be read while JupyterLab is still writing it
            try:
                book = json.loads(path.read_text())
            except json.JSONDecodeError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        kinds = []
        for cell in book["cells"]:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "application/vnd.plotly.v1+json" in data:
                    kinds.append("plot")
                elif (
                    "application/vnd.jupyter.widget-view+json" in data
                    # a widget's view, saved by the pre-save hook as the line to run it
                    or "".join(data.get("text/plain", "")) in RUN_TO_SEE.values()
                ):
                    kinds.append("widget")
                else:
                    kinds.append(output.get("output_type", "other"))
        return kinds

    def check_rendered(self) -> None:
        """Every chart drawn with data, every widget drawn, no error, no console error."""
        page = self.page
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        ).all_inner_texts()
        assert not errors, f"{self.name}: error output: {errors[:2]}"
        expected = self.saved_outputs()
        assert "error" not in expected, f"{self.name}: a cell raised"
        shown = page.evaluate(
            """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell-outputArea'
                    + ' > .jp-OutputArea-child > .jp-OutputArea-output')]
                .map(el => el.classList.contains('jp-RenderedPlotly') ? 'plot'
                     : el.querySelector('.jupyter-widgets') ? 'widget' : 'other')"""
        )
        plots_at_least = 0 if self.name == START_PAGE else 1  # the start page is a list
        assert shown.count("plot") == expected.count("plot") >= plots_at_least, (
            self.name,
            shown,
            expected,
        )
        if self.name == START_PAGE:  # every view, each a link to it (JupyterLab opens it)
            links = page.locator(".da-views li a")
            hrefs = [a.get_attribute("href").split("?")[0] for a in links.all()]
            assert {h.rsplit("/", 1)[-1] for h in hrefs} == {
                n.name for n in NOTEBOOKS if n.name != START_PAGE
            }, hrefs
            links.first.click()
            page.wait_for_selector(".lm-TabBar-tab >> text=06_dunning_worklist", timeout=30_000)
        assert shown.count("widget") == expected.count("widget"), (self.name, shown, expected)
        plots = self.plots()  # top-level charts and those inside widgets
        wanted = expected.count("plot") + WIDGET_CHARTS.get(self.name, 0)
        assert len(plots) == wanted, (self.name, len(plots), wanted)
        for plot in plots:
            assert plot["svg"] >= 1 and plot["traces"] >= 1 and plot["points"] >= 1, plot
        widget_text = " ".join(page.locator(".jupyter-widgets").all_inner_texts())
        assert "Error displaying widget" not in widget_text
        assert "Loading widget" not in widget_text
        late = [e for e in self.console_errors if ANYWIDGET_TIMER in e]
        assert not late, f"{self.name}: a widget started too late to take updates: {late}"
        assert not self.console_errors, f"{self.name}: console errors {self.console_errors[:3]}"
        assert not self.outside_requests, f"{self.name}: requests outside {self.outside_requests}"


@pytest.fixture
def open_notebook(browser, lab):
    opened = []

    def _open(name: str, init_script: str | None = None) -> Notebook:
        notebook = Notebook(browser, lab, name, init_script)
        opened.append(notebook)
        return notebook

    yield _open
    for notebook in opened:
        notebook.screenshot()
        notebook.page.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_renders_in_jupyterlab(open_notebook, path):
    notebook = open_notebook(path.name)
    notebook.run_all()
    notebook.check_rendered()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_in_dutch(browser, lab_nl, path):
    """With DUNNING_LANG=nl every notebook renders, and what it shows is Dutch."""
    notebook = Notebook(browser, lab_nl, path.name)
    try:
        notebook.run_all()
        notebook.check_rendered()
        text = " ".join(notebook.page.locator(".jp-OutputArea").all_inner_texts())
        titles = " ".join(p["title"] for p in notebook.plots())
        for english in ("not yet due", "unapplied credit", "formal notice", "Outstanding €"):
            assert english not in text + titles, (path.name, english)
        if "€" in text:
            assert re.search(r"€ -?\d{1,3}(\.\d{3})*,\d\d", text), path.name
        # JupyterLab's own menus in Dutch (its language pack), and the notebook's headings
        menus = notebook.page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "Bestand" in menus and "File" not in menus, menus
        if path.name != START_PAGE:
            heading = notebook.page.locator(".jp-OutputArea h1").first.inner_text()
            dutch = notebook_text(f"{path.name[:2]}.1", "nl").splitlines()[0].lstrip("# ")
            assert dutch in heading, (path.name, heading)
    finally:
        notebook.screenshot()
        notebook.page.close()


def _first_title(notebook: Notebook) -> str:
    return notebook.plots()[0]["title"]


def _wait_for_change(read, before, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = read()
        if now != before:
            return now
        time.sleep(0.3)
    raise AssertionError(f"nothing changed from {before!r}")


TIMINGS = SCREENSHOTS.parent / "explorer_timings.json"


def _record(name: str, seconds: list[float]) -> None:
    """Keep the browser-measured update times (artifacts/explorer_timings.json) for
    BENCHMARKS.md; the tests report them and never assert on them."""
    name = f"{name} ({LEDGER_LABEL})"
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    known[name] = {
        "updates": len(seconds),
        "median_ms": round(1000 * sorted(seconds)[len(seconds) // 2]),
        "max_ms": round(1000 * max(seconds)),
    }
    TIMINGS.write_text(json.dumps(known, indent=1))
    print(f"{name}: {known[name]}")


def _visible_after(page, action, condition: str, arg=None, timeout=30_000) -> float:
    """Seconds from `action` until the JavaScript `condition` holds in the page (checked on
    every animation frame): the time until the user sees the update."""
    started = time.perf_counter()
    action()
    page.wait_for_function(condition, arg=arg, polling="raf", timeout=timeout)
    return time.perf_counter() - started


_TITLE = (
    "(before) => { const t = document.querySelector('.js-plotly-plot .gtitle');"
    " return t && t.textContent !== before; }"
)


def test_a_reopened_notebook_asks_to_be_run_instead_of_a_widget_error(open_notebook):
    """Saved and opened again (the kernel's widget models are gone): no "Error displaying
    widget: model not found", but a line asking to run the notebook."""
    first = open_notebook("02_aging.ipynb")
    first.run_all()
    assert "widget" in first.saved_outputs()  # its views, saved as the line to run it
    again = open_notebook("02_aging.ipynb")
    again.page.wait_for_selector(f"text={RUN_TO_SEE['en']}", timeout=30_000)
    shown = " ".join(again.page.locator(".jp-Notebook").all_inner_texts())
    assert "Error displaying widget" not in shown and "model not found" not in shown


def test_aging_explorer_as_of_date_changes_the_totals(open_notebook):
    notebook = open_notebook("02_aging.ipynb")
    notebook.run_all()
    page = notebook.page
    before = _first_title(notebook)
    assert before.startswith("Outstanding €")
    date_input = page.locator("input[type='date']").first
    seconds = []
    for day in ("2025-06-30", "2025-12-31", "2026-03-31", "2026-06-30", "2026-10-31"):
        title = _first_title(notebook)

        def change(day=day):
            date_input.fill(day)
            date_input.dispatch_event("change")

        seconds.append(_visible_after(page, change, _TITLE, title))
        if day == "2025-06-30":
            after = _first_title(notebook)
            assert after.startswith("Outstanding €") and after != before
            assert page.locator("text=as of 2025-06-30").count() >= 1
    _record("aging explorer: as-of date", seconds)
    notebook.check_rendered()


def test_aging_explorer_drills_down_and_never_shows_stale_detail(open_notebook, demo_ledger):
    from dunning_analytics import ledger_end_date
    from dunning_analytics.questions.aging import aging

    ledger = BIG_LEDGER or demo_ledger  # the lab's ledger
    owing = aging(ledger, ledger_end_date(ledger))["client_id"].nunique()
    notebook = open_notebook("02_aging.ipynb")
    notebook.run_all()
    page = notebook.page
    # every client with something open in the table (87 on the demo ledger), not the first 50
    assert owing > 50
    info = page.locator(".dt-info").first.inner_text()
    assert f"{owing:,}" in info, (owing, info)
    # click the third row: its client's open items are shown
    row = page.locator("table.dataTable tbody tr").nth(2)
    client = row.locator("td").first.inner_text()
    row.click()
    page.wait_for_function(
        "(c) => [...document.querySelectorAll('.widget-html')].some(e =>"
        " e.textContent.includes('Open items of') && e.textContent.includes('(' + c + ')'))",
        arg=client,
        timeout=30_000,
    )
    items = page.evaluate("() => document.querySelectorAll('.widget-html table tbody tr').length")
    assert items >= 1, "the client's open items are not shown"
    # filters that leave no client: no open items of the previous client stay behind
    minimum = page.locator(".widget-text input[type='number']").first
    minimum.fill("100000000")
    minimum.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-html')].some(e =>"
        " e.textContent.includes('no client to show'))",
        timeout=30_000,
    )
    detail = page.locator(".widget-html").filter(has_text="no client to show").first
    assert detail.is_visible()
    assert "Nothing open" in _first_title(notebook)
    leftover = page.evaluate("() => [...document.querySelectorAll('.widget-html table')].length")
    assert leftover == 0, "open items of the previous client are still shown"


_WIDEST_BAR = """(plot) => {
    let best = null;
    for (const path of plot.querySelectorAll('.barlayer .trace .point path')) {
        const box = path.getBoundingClientRect();
        if (!best || box.width > best.width) {
            const point = path.parentNode.__data__;
            const trace = path.closest('.trace').__data__[0].trace;
            best = {x: box.x + box.width / 2, y: box.y + box.height / 2, width: box.width,
                    client: trace.customdata[point.i][0]};
        }
    }
    return best;
}"""


def test_a_click_on_a_bar_opens_that_clients_open_items(open_notebook):
    notebook = open_notebook("02_aging.ipynb")
    notebook.run_all()
    page = notebook.page
    plot = page.locator(".jupyter-widgets .js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    shown = page.locator(".widget-html").filter(has_text="Open items of").first.inner_text()
    bar = plot.evaluate(_WIDEST_BAR)
    if f"({bar['client']})" in shown:  # already shown: pick another client's row first
        rows = page.locator("table.dataTable tbody tr")
        other = next(
            i
            for i in range(rows.count())
            if rows.nth(i).locator("td").first.inner_text() != bar["client"]
        )
        rows.nth(other).click()
        page.wait_for_function(
            "(c) => ![...document.querySelectorAll('.widget-html')].some(e =>"
            " e.textContent.includes('Open items of') && e.textContent.includes(c))",
            arg=f"({bar['client']})",
            timeout=30_000,
        )
        bar = plot.evaluate(_WIDEST_BAR)
    page.mouse.move(bar["x"], bar["y"])
    page.mouse.click(bar["x"], bar["y"])
    page.wait_for_function(
        "(c) => [...document.querySelectorAll('.widget-html')].some(e =>"
        " e.textContent.includes('Open items of') && e.textContent.includes(c))",
        arg=f"({bar['client']})",
        timeout=30_000,
    )
    assert page.evaluate("() => document.querySelectorAll('.widget-html table tbody tr').length")


@contextlib.contextmanager
def _busy_computer(processes: int):
    """Keep `processes` extra processes busy on the CPU (a laptop doing other work)."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


# the page's compiled chart module, once made, reaches the charts 4 s late
_LATE_MODULE = (
    "(() => { let kept; Object.defineProperty(globalThis, KEY, { configurable: true,"
    " get() { return kept; }, set(compiling) { kept = compiling.then((module) =>"
    " new Promise((ready) => setTimeout(() => ready(module), 4000))); } }); })();"
)


@pytest.mark.parametrize("condition", ["", "busy-computer", "chart-module-late"])
def test_client_picker_changes_the_profile(open_notebook, condition):
    """Also on a busy computer, and when plotly's chart module is ready only 4 s after the
    charts were made (each chart then keeps what Python sent it and replays it)."""
    late = None
    if condition == "chart-module-late":
        from dunning_analytics.notebook.shared_figure import module_key

        late = _LATE_MODULE.replace("KEY", json.dumps(module_key()))
    notebook = open_notebook("03_payment_behaviour.ipynb", init_script=late)
    with _busy_computer(3 if condition == "busy-computer" else 0):
        _pick_clients(notebook, timed=not condition)


def _pick_clients(notebook, timed: bool) -> None:
    """Run notebook 03, pick five clients: the card and the charts follow each pick
    (`timed`: the pick times go into the browser timings)."""
    notebook.run_all()
    card = notebook.page.locator(".da-profile").first
    heading = notebook.page.locator("h3:has(+ table.da-profile), h3").filter(has_text="(C").first
    before = heading.inner_text()
    notebook.page.wait_for_function(  # the explorer's charts drawn with the first client
        "() => [...document.querySelectorAll('.jupyter-widgets .js-plotly-plot')]"
        ".filter(el => (el.data || []).length > 0).length >= 2",
        timeout=30_000,
    )
    charts_before = _explorer_chart_data(notebook.page)
    picker = notebook.page.locator(".widget-dropdown select").first
    options = picker.locator("option").all_inner_texts()
    seconds = []
    for index in (len(options) - 1, 1, len(options) // 2, 2, 3):
        shown = heading.inner_text()
        seconds.append(
            _visible_after(
                notebook.page,
                lambda index=index: picker.select_option(index=index),
                "(before) => { const t = document.querySelector('table.da-profile');"
                " const h = t && t.parentElement.querySelector('h3');"
                " return h !== null && h.textContent !== before; }",
                shown,
            )
        )
        if index == len(options) - 1:
            after = heading.inner_text()
            assert after != before and card.is_visible()
    if timed:
        _record("client explorer: pick a client", seconds)
    # the explorer's charts follow the client (a chart started late would keep its first)
    notebook.page.wait_for_function(
        f"() => ({_EXPLORER_CHART_DATA})() !== {json.dumps(charts_before)}", timeout=20_000
    )
    notebook.check_rendered()


_EXPLORER_CHART_DATA = (
    "() => JSON.stringify([...document.querySelectorAll('.jupyter-widgets .js-plotly-plot')]"
    ".map(el => (el.data || []).map(t => [t.name, t.x, t.y])))"
)


def _explorer_chart_data(page) -> str:
    """The data of every chart inside a widget, as one JSON text."""
    return page.evaluate(_EXPLORER_CHART_DATA)


def test_risk_threshold_changes_the_flagged_count(open_notebook):
    notebook = open_notebook("04_prepayment_risk.ipynb")
    notebook.run_all()
    count = notebook.page.locator(".da-flagged-count").first
    before = int(count.inner_text())
    slider = notebook.page.locator(".widget-slider").filter(has_text="Chronic late").first
    slider.locator(".noUi-handle").first.focus()
    changed = "(before) => document.querySelector('.da-flagged-count').textContent !== before"
    seconds = [
        _visible_after(
            notebook.page, lambda: notebook.page.keyboard.press("Home"), changed, str(before)
        )
    ]  # the lowest threshold: 1 day late on average
    after = int(count.inner_text())
    assert after > before
    for key in ("End", "Home", "End", "Home"):
        shown = count.inner_text()
        seconds.append(
            _visible_after(
                notebook.page, lambda key=key: notebook.page.keyboard.press(key), changed, shown
            )
        )
    _record("risk explorer: move a threshold", seconds)
    notebook.check_rendered()


def test_new_work_panel_gives_the_deposit_and_the_expected_payment(open_notebook, demo_ledger):
    """Notebook 04's new-work panel: a client that must pay a deposit shows the deposit in
    euros for the typed amount and a date the money is expected, as the forecast says."""
    from dunning_analytics.ledger import ledger_end_date
    from dunning_analytics.questions.forecast import new_invoice_forecast
    from dunning_analytics.questions.risk import risk_flags

    notebook = open_notebook("04_prepayment_risk.ipynb")
    notebook.run_all()
    ledger = BIG_LEDGER or demo_ledger  # the lab's ledger (read-only here, as in the kernel)
    as_of = ledger_end_date(ledger)
    flags = risk_flags(ledger, as_of)
    client = flags.loc[flags["level"] == "deposit", "client_id"].iloc[0]
    page = notebook.page
    picker = page.locator(".widget-dropdown").filter(has_text="Client").locator("select")
    option = picker.locator("option").filter(has_text=f"({client})")
    picker.select_option(label=option.inner_text())
    amount = page.locator(".widget-text").filter(has_text="Amount").locator("input")
    amount.fill("2,000.00")
    amount.press("Enter")
    page.wait_for_function(
        "() => (document.body.innerText.match(/deposit of 30 % is €600.00/) || []).length",
        timeout=30_000,
    )
    term = int(page.locator(".widget-text").filter(has_text="Term").locator("input").input_value())
    expected = new_invoice_forecast(ledger, as_of, client, term)["expected_date"]
    shown = page.locator(".da-new-expected").first.inner_text()
    assert shown == str(expected)
    notebook.check_rendered()


def _save_promise(page, amount: str, note: str | None = None) -> None:
    """In notebook 06's call form (JupyterLab or the app): a promise to pay `amount` by
    30-10-2026 for the picked call, saved; waits until the form says what happens next."""
    outcome = page.locator(".widget-dropdown", has_text="Outcome")
    form = page.locator(".widget-vbox").filter(has=outcome).last
    form.locator(".widget-dropdown", has_text="Outcome").locator("select").select_option(
        label="promised to pay"
    )
    form.locator(".widget-datepicker", has_text="Pay by").locator("input").fill("2026-10-30")
    form.locator(".widget-text", has_text="Amount").locator("input").fill(amount)
    if note:
        form.locator(".widget-textarea", has_text="Note").locator("textarea").fill(note)
    form.get_by_role("button", name="Save").click()
    page.wait_for_selector(".da-moved", timeout=60_000)


@pytest.fixture
def lab_with_own_ledger(demo_ledger, tmp_path_factory):
    """JupyterLab on a copy of the demo ledger that no other test's kernel holds open, so a
    notebook can write to it (DuckDB lets one process write, and only when no other reads)."""
    own = tmp_path_factory.mktemp("own-ledger") / "ledger.duckdb"
    shutil.copy(demo_ledger, own)
    for lab in _lab(own, tmp_path_factory, "en"):
        yield lab | {"ledger": own}


def _clients_with_open_disputes(ledger) -> set[str]:
    """Clients with a disputed invoice still open on 2026-10-26 (notebook 06's week)."""
    from dunning_analytics.ledger import open_ledger

    con = open_ledger(ledger, read_only=True)
    try:
        return {
            row[0]
            for row in con.execute(
                "SELECT DISTINCT client_id FROM invoice_settlement WHERE disputed "
                "AND (settled_date IS NULL OR settled_date >= DATE '2026-10-26')"
            ).fetchall()
        }
    finally:
        con.close()


def test_the_call_form_records_a_promise_and_the_worklist_moves_on(browser, lab_with_own_ledger):
    """With every other notebook open and run (their kernels alive), a promise typed into
    notebook 06's call form is saved, and the contact command writes too (#32)."""
    from dunning_analytics.ledger import open_ledger

    others = []
    for name in [n.name for n in NOTEBOOKS if n.name[:2] not in ("00", "06")]:
        other = Notebook(browser, lab_with_own_ledger, name)
        other.run_all()
        others.append(other)
    notebook = Notebook(browser, lab_with_own_ledger, "06_dunning_worklist.ipynb")
    try:
        notebook.run_all()
        page = notebook.page
        picker = page.locator(".widget-dropdown", has_text="Call").locator("select").first
        picker.scroll_into_view_if_needed()
        options = picker.locator("option")
        calls = [text.replace("\xa0", " ") for text in options.all_inner_texts()]
        # the first call of a client without a disputed open invoice: a dispute keeps a
        # client on the plan after a promise (the complaint is still to be resolved)
        disputing = _clients_with_open_disputes(lab_with_own_ledger["ledger"])
        pick = next(
            i for i, call in enumerate(calls)
            if re.search(r"\((C\d+)\)", call).group(1) not in disputing
        )  # fmt: skip
        picker.select_option(index=pick)
        client = re.search(r"\((C\d+)\)", calls[pick]).group(1)
        assert (
            f"Call {calls[pick].split(' · ')[1]}"
            in page.locator("pre").filter(has_text=client).first.inner_text()
        )
        _save_promise(page, "1.000,00", note="pays Friday, confirmed by e-mail")
        moved = page.locator(".da-moved").inner_text()
        assert "is no longer on this week's call plan" in moved, moved
        assert "wait for the promise" in page.locator(".da-next-steps").inner_text()
        after = options.all_inner_texts()
        assert len(after) == len(calls) - 1 and not any(f"({client})" in c for c in after)
        saved = page.locator(".widget-html", has_text="Saved in the ledger").inner_text()
        assert "promised to pay (€1,000.00, 2026-10-30)" in saved, saved
        # the command line writes too while all seven notebooks stay open
        written = subprocess.run(
            [str(Path(sys.executable).with_name("dunning-analytics")), "contact", "--ledger",
             str(lab_with_own_ledger["ledger"]), "--client", client, "--kind", "call",
             "--at", "2026-10-27 10:00", "--note", "called back"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert written.returncode == 0, written.stderr
    finally:
        notebook.screenshot()
        notebook.page.close()
        for other in others:
            other.page.close()
    con = open_ledger(lab_with_own_ledger["ledger"], read_only=True)
    try:
        promises = con.execute(
            "SELECT promised_date, sum(promised_amount), any_value(note) FROM contacts "
            "WHERE client_id = ? AND kind = 'promise_to_pay' AND contact_at >= '2026-10-26' "
            "GROUP BY ALL",
            [client],
        ).fetchall()
    finally:
        con.close()
    assert promises == [
        (dt.date(2026, 10, 30), Decimal("1000.00"), "pays Friday, confirmed by e-mail")
    ]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_quarterly_review_html_renders_offline(browser, demo_ledger, tmp_path, lang):
    from dunning_analytics.present.review import write_review

    path = write_review(demo_ledger, "2026Q3", out=tmp_path / "review.html", lang=lang)
    page = browser.new_page(viewport={"width": 1200, "height": 1600})
    console_errors, outside = [], []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.on("pageerror", lambda e: console_errors.append(str(e)))
    page.on(
        "request",
        lambda r: not r.url.startswith(("file://", "data:", "blob:")) and outside.append(r.url),
    )
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    time.sleep(1)
    charts = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(el =>
            (el.calcdata || []).reduce((n, trace) => n + trace.length, 0))"""
    )
    # aging, the deposit flags' ranking, the payment curve and the cash-in forecast
    assert len(charts) == page.locator("div.chart").count() == 4
    assert all(points > 0 for points in charts), charts
    assert page.locator("#summary li").count() >= 4
    assert not console_errors, console_errors
    assert not outside, outside
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"review-2026Q3-{lang}.png"), full_page=True)
    page.close()


@pytest.fixture
def voila_app(demo_ledger, tmp_path_factory):
    """`make app`: Voilà serving copies of the notebooks on a copy of the demo ledger."""
    home, work = _notebook_copies(tmp_path_factory, "voila", "voila")
    ledger = home / "ledger.duckdb"
    shutil.copy(demo_ledger, ledger)
    port = _free_port()
    env = _jupyter_env(home, ledger, "en")
    base = f"http://127.0.0.1:{port}"
    argv = [str(Path(sys.executable).with_name("voila")), str(work), f"--port={port}",
            "--no-browser", "--Voila.ip=127.0.0.1"]  # fmt: skip
    with _serving(argv, env, f"{base}/voila/render/{START_PAGE}", home / "voila.log", "Voila"):
        yield {"base": base, "ledger": ledger}


# jupyterlab-plotly's renderer stores a static image of each chart in the notebook's output
# model, which Voilà's model lacks ("r.setData is not a function"); the charts still draw
# (each view's chart is waited for below)
KNOWN_VOILA_ERRORS = ("setData is not a function",)


def _app_page(browser, app, name):
    """A view of the app, rendered (Voilà runs every cell before it shows the page)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{app['base']}/voila/render/{name}", timeout=180_000)
    page.wait_for_selector(".jp-OutputArea-output", timeout=180_000)
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error displaying widget" not in text, (name, text[:500])
    assert not page.locator(".jp-InputArea").filter(has_text="import").count(), "code is shown"
    return page, errors


def test_the_app_opens_on_the_start_page_and_saves_a_call_with_every_view_open(browser, voila_app):
    from dunning_analytics.ledger import open_ledger

    start, _ = _app_page(browser, voila_app, START_PAGE)
    links = start.locator(".da-views li a")
    assert links.count() == len(NOTEBOOKS) - 1
    assert links.first.get_attribute("href") == "06_dunning_worklist.ipynb"  # today's work first
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    start.screenshot(path=str(SCREENSHOTS / "app-start.png"))
    pages = [start]
    for name in ("02_aging.ipynb", "03_payment_behaviour.ipynb", "04_prepayment_risk.ipynb",
                 "07_cash_forecast.ipynb"):  # fmt: skip
        page, _ = _app_page(browser, voila_app, name)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        pages.append(page)
    page, errors = _app_page(browser, voila_app, "06_dunning_worklist.ipynb")
    pages.append(page)
    try:
        picker = page.locator(".widget-dropdown", has_text="Call").locator("select").first
        picker.wait_for(timeout=120_000)
        client = re.search(r"\((C\d+)\)", picker.locator("option").first.inner_text()).group(1)
        _save_promise(page, "250,00")
        page.screenshot(path=str(SCREENSHOTS / "app-06.png"))
        assert not [e for e in errors if not any(k in e for k in KNOWN_VOILA_ERRORS)], errors
    finally:
        for each in pages:
            each.close()
    con = open_ledger(voila_app["ledger"], read_only=True)
    try:
        saved = con.execute(
            "SELECT sum(promised_amount) FROM contacts WHERE client_id = ? "
            "AND kind = 'promise_to_pay' AND promised_date = DATE '2026-10-30'",
            [client],
        ).fetchall()
    finally:
        con.close()
    assert saved == [(Decimal("250.00"),)]
