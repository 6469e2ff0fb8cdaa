"""What the benchmark scripts share: the commit they measured, and writing a result into
its own section of BENCHMARKS.md between two markers (added at the end when missing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commit() -> str:
    """The short id of the commit checked out, '?' without git."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"


def write_section(text: str, markers: tuple[str, str], heading: str) -> Path:
    """Put `text` into BENCHMARKS.md between `markers`; a missing section is added at the
    end under `heading`. Out: the file's path."""
    path = ROOT / "BENCHMARKS.md"
    content = path.read_text()
    start, end = markers
    if start not in content:
        content += f"\n## {heading}\n\n{start}\n{end}\n"
    before, rest = content.split(start, 1)
    path.write_text(before + start + "\n" + text + end + rest.split(end, 1)[1])
    return path
