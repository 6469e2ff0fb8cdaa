"""How long a week's letters take with their PDFs: the kit's one browser session for every
letter (pdf.print_pdfs) against one Chromium process per letter (`chromium
--print-to-pdf`, how the kit printed before), on the same letters.

    .venv/bin/python benchmarks/letters_bench.py [--weeks 4]     # or: make bench-letters

The letters are those the ladder asks for in the last `weeks` working weeks of the
150-client demo ledger (seed 7, up to 2026-10-31), in Dutch. Prints a table and writes it
into BENCHMARKS.md between the letters markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sections import commit, write_section  # noqa: E402 (the benchmarks' shared helpers)

ROOT = HERE.parent
MARKERS = ("<!-- letters -->", "<!-- /letters -->")
LAST_MONDAY = dt.date(2026, 10, 26)


def week_letters(ledger: Path, weeks: int) -> list:
    """The letters of the last `weeks` working weeks of the demo ledger, in Dutch."""
    from dunning_analytics.act.letters import letters_due

    letters = []
    for back in range(weeks):
        letters += letters_due(ledger, LAST_MONDAY - dt.timedelta(weeks=back), lang="nl")
    return [letter for letter in letters if letter.problem is None]


def one_process_per_letter(letters: list, folder: Path) -> None:
    """The other side: each letter's HTML printed by a Chromium process of its own."""
    from dunning_analytics.present.pdf import CHROMIUM_ARGS, chromium_path

    browser = chromium_path()
    for n, letter in enumerate(letters):
        page = folder / f"{n}.html"
        page.write_text(letter.html, encoding="utf-8")
        subprocess.run(
            [browser, *CHROMIUM_ARGS, "--no-pdf-header-footer",
             f"--print-to-pdf={folder / f'{n}.pdf'}", page.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip


def measure(weeks: int) -> str:
    """Build the letters, then print them both ways; the table as Markdown."""
    from dunning_analytics.act.letters import write_letters
    from dunning_analytics.ledger.demo import write_demo_ledger

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ledger = folder / "demo.duckdb"
        write_demo_ledger(ledger, clients=150, seed=7, end=dt.date(2026, 10, 31))
        start = time.perf_counter()
        letters = week_letters(ledger, weeks)
        built = time.perf_counter() - start
        start = time.perf_counter()
        table = write_letters(letters, folder / "session", ledger=ledger)
        session = time.perf_counter() - start
        assert (table["status"] == "written").all() and len(table) == len(letters)
        (folder / "processes").mkdir()
        start = time.perf_counter()
        one_process_per_letter(letters, folder / "processes")
        processes = time.perf_counter() - start
    n = len(letters)
    return (
        f"| what | {n} letters ({weeks} working weeks of the demo ledger) | per letter |\n"
        "| --- | ---: | ---: |\n"
        f"| building them (ledger, law, templates, QR codes) | {built:.1f} s | "
        f"{built / n * 1000:.0f} ms |\n"
        f"| writing PDFs and .eml drafts, one browser session (the kit) | {session:.1f} s | "
        f"{session / n * 1000:.0f} ms |\n"
        f"| PDFs only, one Chromium process per letter (before) | {processes:.1f} s | "
        f"{processes / n * 1000:.0f} ms |\n\n"
        f"One session is {processes / session:.1f}× faster than a process per letter. "
        f"Machine: {_machine()}; commit {commit()}.\n"
    )


def _machine() -> str:
    import os
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write(text: str) -> Path:
    """Put `text` into BENCHMARKS.md between the letters markers (added when missing)."""
    return write_section(text, MARKERS, "A week's letters with their PDFs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=4)
    text = measure(parser.parse_args(argv).weeks)
    print(text)
    print(f"updated {write(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
