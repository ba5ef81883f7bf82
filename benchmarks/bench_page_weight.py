#!/usr/bin/env python
"""What each page of the built website weighs, against the book's budget.

    python benchmarks/bench_page_weight.py                  # _build/html
    python benchmarks/bench_page_weight.py --site DIR       # a site built elsewhere
    python benchmarks/bench_page_weight.py --json out.json

A page's weight is counted from the files themselves (no browser, no network): its HTML,
every script, stylesheet and image it links, and the webfonts (``.woff2``) its stylesheets
name, each file once.  That counts all 20 of KaTeX's fonts, though a page loads only those
its formulas use (the browser test, ``tests/test_website.py``, prints the weights a browser
really loads).  Unlike a time, a weight does not depend on the machine, so the budget below is a
hard limit: the script exits with status 1 if a page is over it, naming what to cut.

The budget (per page, in KiB), from the measured weights after issue 12 with some room:
the pages were 4.6-5.0 MB before it (a 1.5 MB icon script loaded next to the same icons as
webfonts, the 200 KB search index on every page).  Since the formulas are rendered at build
time (KaTeX, _ext/book_fixes.py fix 12), a chapter's HTML holds them, 0.4-1.1 MiB (it
compresses ~10x when served gzipped), and the 1.3 MB of MathJax is gone from every page.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
KIB = 1024
BUDGET_KIB = {
    "total": 3200,        # everything a page loads (4.4-4.7 MiB before issue 12)
    "html": 1300,         # the page itself, its formulas as KaTeX's HTML and MathML included
    "js": 500,            # the theme's scripts; no math script (the search page: + its index)
    "css": 600,
    "fonts": 600,         # the icons' and KaTeX's (all 20 counted)
    "images": 900,
}
_SCRIPT = re.compile(r'<script[^>]*\ssrc="([^"]+)"')
_STYLESHEET = re.compile(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"|<link[^>]*href="([^"]+)"[^>]*rel="stylesheet"')
_IMAGE = re.compile(r'<img[^>]*\ssrc="([^"]+)"')
_CSS_URL = re.compile(r'url\(\s*["\']?([^"\')]+\.woff2)[^)]*\)')


def _local(site: Path, page: Path, ref: str) -> Path | None:
    if "://" in ref or ref.startswith(("data:", "//")):
        return None
    path = (page.parent / unquote(urlsplit(ref).path)).resolve()
    try:
        path.relative_to(site)
    except ValueError:
        return None
    return path if path.is_file() else None


def page_weight(site: Path, page: Path, font_cache: dict) -> dict:
    html = page.read_text(encoding="utf-8", errors="replace")
    files: dict[str, set[Path]] = {"js": set(), "css": set(), "images": set(), "fonts": set()}
    for ref in _SCRIPT.findall(html):
        if (path := _local(site, page, ref)):
            files["js"].add(path)
    for a, b in _STYLESHEET.findall(html):
        if (path := _local(site, page, a or b)):
            files["css"].add(path)
            if path not in font_cache:
                css = path.read_text(encoding="utf-8", errors="replace")
                font_cache[path] = {f for ref in _CSS_URL.findall(css) if (f := _local(site, path, ref))}
            files["fonts"] |= font_cache[path]
    for ref in _IMAGE.findall(html):
        if (path := _local(site, page, ref)):
            files["images"].add(path)
    weight = {kind: sum(p.stat().st_size for p in paths) for kind, paths in files.items()}
    weight["html"] = page.stat().st_size
    weight["total"] = sum(weight.values())
    weight["files"] = 1 + sum(len(p) for p in files.values())
    return weight


def pages(site: Path) -> list[Path]:
    skip = {"_static", "_sources", "_images"}
    return sorted(p for p in site.rglob("*.html") if not skip & set(p.relative_to(site).parts)
                  and p.name not in {"index.html", "genindex.html", "py-modindex.html"})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--json", type=Path, help="also write the weights to this file")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "intro.html").is_file() and not (site / "index.html").is_file():
        print(f"no built site in {site}: run `python3 tasks.py html` first", file=sys.stderr)
        return 2
    font_cache: dict = {}
    rows, over = {}, []
    kinds = ["total", "html", "js", "css", "fonts", "images"]
    print(f"{'page':44}" + "".join(f"{k + ' KiB':>12}" for k in kinds) + f"{'files':>7}")
    for page in pages(site):
        rel = page.relative_to(site).as_posix()
        weight = rows[rel] = page_weight(site, page, font_cache)
        print(f"{rel:44}" + "".join(f"{weight[k] / KIB:12.0f}" for k in kinds) + f"{weight['files']:7d}")
        over += [f"{rel}: {k} {weight[k] / KIB:.0f} KiB > budget {BUDGET_KIB[k]} KiB"
                 for k in kinds if weight[k] > BUDGET_KIB[k] * KIB]
    print("budget  " + ", ".join(f"{k} {v} KiB" for k, v in BUDGET_KIB.items()))
    if args.json:
        args.json.write_text(json.dumps({"budget_kib": BUDGET_KIB, "pages": rows}, indent=1))
    if over:
        print("OVER BUDGET:\n  " + "\n  ".join(over))
        return 1
    print(f"all {len(rows)} pages within budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
