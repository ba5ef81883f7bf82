#!/usr/bin/env python3
"""The project's commands (see README.md).

    python3 tasks.py html    set up .venv and build the website into _build/html
    python3 tasks.py test    set up .venv and run every test
    python3 tasks.py pdf     set up .venv and print the whole book to _build/html/nnbook.pdf

Both create a virtual environment in ``.venv`` on first use and reinstall into it only
when ``requirements.txt`` or ``pyproject.toml`` change.  Nothing here needs more than
Python 3.10+ and the package index.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".nnbook-requirements.sha256"


def run(*cmd: str | Path) -> None:
    """Run a command from the repository root; stop with its exit code if it fails."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if code:
        sys.exit(code)


def setup() -> None:
    """Create .venv and install requirements.txt (which installs nnbook itself, editable)."""
    digest = hashlib.sha256(
        b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", "pyproject.toml"))
    ).hexdigest()
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    if not STAMP.exists() or STAMP.read_text() != digest:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PY, "-m", "pip", "install", "--quiet", "-r", "requirements.txt")
        STAMP.write_text(digest)


def build_html(strict: bool) -> None:
    """Build the website; every notebook is executed (cached by jupyter-cache)."""
    cmd = [BIN / ("jupyter-book.exe" if os.name == "nt" else "jupyter-book"), "build", ".", "--all"]
    if strict:
        cmd += ["--warningiserror", "--keep-going"]
    run(*cmd)


def _chromium() -> str:
    """The Chromium the browser test uses: ``NNBOOK_CHROMIUM``, else the system's."""
    import shutil

    for candidate in (os.environ.get("NNBOOK_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("the PDF is printed by Chromium, which was not found: install it "
             "(`apt-get install chromium`) or point NNBOOK_CHROMIUM at one")


def pdf() -> None:
    """The whole book, solutions included, as one PDF: Sphinx's single-page HTML build (the
    notebooks come from the execution cache the website build filled), printed by headless
    Chromium (the browser the tests use; no TeX needed: _ext/print_pdf.py says why).  It is
    written to _build/html/nnbook.pdf, which every page of the website links in its footer."""
    setup()
    chromium = _chromium()
    run(BIN / ("jupyter-book.exe" if os.name == "nt" else "jupyter-book"), "build", ".",
        "--builder", "singlehtml")
    out = ROOT / "_build" / "html" / "nnbook.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    run(PY, ROOT / "_ext" / "print_pdf.py", ROOT / "_build" / "singlehtml", out, chromium)
    print(f"\nThe book as a PDF: {out} ({out.stat().st_size / 1e6:.1f} MB)")


def html() -> None:
    setup()
    build_html(strict=False)
    print(f"\nThe website is in {ROOT / '_build' / 'html' / 'index.html'}")


def test() -> None:
    setup()
    # 1. the website, warnings as errors (broken references, missing citations, failing cells)
    build_html(strict=True)
    # 2. unit and property tests, the browser test over the built site, nbval on every chapter
    run(PY, "-m", "pytest", "tests", "chapters", "--nbval-lax", "-p", "no:cacheprovider")


if __name__ == "__main__":
    commands = {"html": html, "test": test, "pdf": pdf, "setup": setup}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
