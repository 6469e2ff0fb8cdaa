"""Printing HTML pages to A4 PDFs with headless Chromium (Debian's `chromium`).

- `print_pdfs(jobs, ledger, force)`: many pages in one browser session, each job a
  `PdfJob(html or page path, pdf path, page_numbers)`; a week's letters take seconds, not
  one browser start per letter. Driven through Playwright (its Python API, with the
  system's Chromium: it never downloads a browser of its own), in a worker thread of its
  own so it also runs inside a notebook's event loop.
- Each PDF is written through outputs.replacing: never onto the ledger's files, never over
  a file the kit did not write unless `force`, never half a PDF. A page that cannot be
  printed or written gets its error in the result; the others are printed.
- `page_numbers`: "page 1 of 3" centred at the foot of every page (the review; a letter has
  its own footer).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dunning_analytics.common.messages import tr
from dunning_analytics.ledger import LedgerError
from dunning_analytics.ledger.outputs import replacing

# Headless Chromium without its background traffic (this machine has no network).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PAGE_TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class PdfJob:
    """One page to print: its HTML (a text) or the path of an HTML file, and the PDF."""

    page: str | Path
    pdf_path: Path
    page_numbers: bool = False


def chromium_path() -> str:
    """The system's Chromium; LedgerError saying how to install it when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise LedgerError(tr("a PDF needs Chromium: apt-get install chromium"))
    return found


def print_pdfs(jobs: list[PdfJob], ledger=None, force: bool = False) -> list[Path | Exception]:
    """Print every job's page to its PDF, in one browser session. In: the jobs, the ledger
    (never written over) and `force` (replace a file the kit did not write). Out, in the
    jobs' order: the PDF's path, or the error (LedgerError, OSError, ValueError) that kept
    that one page from being written. Raises LedgerError when there is no Chromium."""
    if not jobs:
        return []
    browser = chromium_path()
    with ThreadPoolExecutor(max_workers=1) as worker:  # off any running event loop
        return worker.submit(_print_in_session, browser, jobs, ledger, force).result()


def _print_in_session(browser: str, jobs: list[PdfJob], ledger, force: bool) -> list:
    """Print the jobs with one Chromium and one tab (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    done = []
    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=browser, args=list(CHROMIUM_ARGS))
        try:
            tab = chromium.new_page()
            tab.set_default_timeout(PAGE_TIMEOUT_MS)
            for job in jobs:
                try:
                    with replacing(job.pdf_path, ledger, force) as tmp:
                        tmp.write_bytes(_printed(tab, job))
                    done.append(job.pdf_path)
                except (LedgerError, OSError, ValueError) as exc:
                    done.append(exc)
        finally:
            chromium.close()
    return done


def _printed(tab, job: PdfJob) -> bytes:
    """The job's page printed in `tab` (A4 or its CSS @page size, backgrounds included)."""
    if isinstance(job.page, Path):
        tab.goto(job.page.resolve().as_uri(), wait_until="load")
    else:
        tab.set_content(job.page, wait_until="load")
    return tab.pdf(prefer_css_page_size=True, print_background=True, **_footer(job))


def _footer(job: PdfJob) -> dict:
    """Playwright's pdf() options for the page numbers at the foot of every page."""
    if not job.page_numbers:
        return {"display_header_footer": False}
    return {
        "display_header_footer": True,
        "header_template": "<span></span>",
        "footer_template": (
            '<div style="width:100%;font-size:8px;color:#555;text-align:center;">'
            '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
        ),
    }
