"""Print the single-page book to a PDF with headless Chromium (run by ``tasks.py pdf``).

    .venv/bin/python _ext/print_pdf.py SITE OUT.pdf CHROMIUM

SITE is Sphinx's single-page build (``_build/singlehtml``).  It is served on 127.0.0.1 (no
request leaves the machine), every solution is opened, the fonts are loaded (the formulas
are already HTML, written by KaTeX at build time), and the page printed on A4 with page
numbers, the PDF's outline from the headings and tagged (accessible) text: headings,
paragraphs, lists, tables and figures with their alt text are marked as such, for screen
readers.  Chromium, not TeX:
the browser the tests already install draws the book exactly as the website does (figures,
animations' first frames, admonitions), and nothing else needs installing; TeX Live would
be ~1 GB more and a second renderer of every page to keep in step.

Chromium writes every object of the PDF uncompressed, and the tags are many (one per run of
text: ~140,000 objects, 32 MB in all).  When qpdf is installed (Debian's ``qpdf``, which
``.ci/run`` installs), it packs them into compressed object streams, which halves the file
(32 -> 16 MB) and changes nothing a reader sees; without qpdf the PDF is left as Chromium
wrote it, and this says so.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading

PREPARE = """async () => {
    window.dispatchEvent(new Event("beforeprint"));     // sphinx-togglebutton opens its toggles
    document.querySelectorAll(".toggle-hidden").forEach(el => el.classList.remove("toggle-hidden"));
    document.querySelectorAll(".solution details, details.dropdown").forEach(d => { d.open = true; });
    if (document.fonts) await document.fonts.ready;
    return document.querySelectorAll(".math .katex").length;
}"""
FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def _start_page(site: str) -> str:
    """The page index.html redirects to (Jupyter Book writes a meta refresh), else index.html."""
    import re
    from pathlib import Path

    index = (Path(site) / "index.html").read_text(encoding="utf-8", errors="replace")
    match = re.search(r'http-equiv="Refresh" content="0; url=([^"#?]+)', index, re.IGNORECASE)
    return match.group(1) if match else "index.html"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def _compress(printed: str, out: str) -> str:
    """Write ``printed`` to ``out`` with its objects in compressed object streams (qpdf), or
    as it is where qpdf is missing; return what was done, for the log.  ``out`` is replaced
    only by a complete file."""
    qpdf = shutil.which("qpdf")
    partial = out + ".partial"
    try:
        if qpdf is None:
            shutil.copyfile(printed, partial)
            done = "uncompressed: no qpdf on this machine (apt-get install qpdf halves the file)"
        else:
            result = subprocess.run([qpdf, "--object-streams=generate", "--compression-level=9",
                                     "--recompress-flate", printed, partial],
                                    capture_output=True, text=True)
            if result.returncode not in (0, 3):          # 3: qpdf succeeded with warnings
                raise SystemExit(f"qpdf could not compress the printed book:\n{result.stderr}")
            if result.returncode == 3:
                print(f"qpdf warned:\n{result.stderr}")
            done = (f"{os.path.getsize(printed) / 2**20:.0f} MB as printed, "
                    f"{os.path.getsize(partial) / 2**20:.0f} MB compressed by qpdf")
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return done


def main(site: str, out: str, chromium: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:       # not in the site, which is published
        printed = os.path.join(scratch, "printed.pdf")
        formulas = _print(site, printed, chromium)
        done = _compress(printed, out)
    print(f"printed the single-page book ({formulas} formulas) to {out} ({done})")


def _print(site: str, printed: str, chromium: str) -> int:
    """Print the single-page book in ``site`` to ``printed``; return its number of formulas."""
    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=site))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.set_default_timeout(900_000)
            page.route(lambda url: not url.startswith(base), lambda route: route.abort())
            page.goto(base + _start_page(site), wait_until="load")
            formulas = page.evaluate(PREPARE)
            page.emulate_media(media="print")
            page.pdf(path=printed, format="A4", print_background=True, outline=True, tagged=True,
                     margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
                     display_header_footer=True, header_template="<span></span>",
                     footer_template=FOOTER)
            browser.close()
    finally:
        httpd.shutdown()
    return formulas


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
