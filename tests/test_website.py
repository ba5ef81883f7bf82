"""The built website, checked in a real browser (headless Chromium driven by Playwright).

The site (``_build/html``, or the folder named by the environment variable ``NNBOOK_SITE``)
is served on 127.0.0.1 from a thread, and Chromium visits every page of it once (the pages
reachable by links from the first page):

* the page loads with no JavaScript error and no failed request;
* no request leaves 127.0.0.1 (the book works offline: KaTeX's stylesheet and fonts are
  served from the site);
* every equation was rendered by KaTeX when the site was built (the page loads no math
  script; no raw ``$$`` or ``\\(`` left in the text, no KaTeX error, no second number);
* every image loads;
* every internal link and every ``#anchor`` it names exist.

and, on every page at desktop width (1366 px) and on the chapters at phone width (390 px):

* nothing is wider than the text column, except inside a box that scrolls sideways
  (display equations, code, outputs, figures);
* no figure is shown so small that its text (the book style's 10 pt at 100 dpi, 13.9 px)
  falls below 8 px; each chapter figure links to its full-size image and has real alt text;
* the page's weight (bytes, requests) and its longest main-thread task are printed, and
  written to ``<site>/../website-report.txt`` (measured, never asserted: budgets live in
  ``benchmarks/bench_page_weight.py``).

Then: the ☰ and contents buttons open and close their drawers on a phone, and ☰ collapses
the sidebar on a desktop; toggles have names and a visible keyboard focus, and formulas are
not Tab stops; the chapter with the most formulas is timed at phone CPU speed (printed);
the search page finds "backpropagation", once per page, with snippets free of raw TeX and
page chrome; an exercise's solution is hidden until its toggle is clicked, and everything
of a solution sits inside it; each chapter's download button offers its notebook, its
Colab, Binder and edit buttons point at the repository named in ``_config.yml``, and its
code cells have copy buttons.  Screenshots (the forward-propagation chapter at both widths,
the phone menu, the search results) go to ``<site>/../screenshots/`` (``_build/screenshots/``
by default) for a person to look at.

Needs Chromium (``/usr/bin/chromium``, or ``NNBOOK_CHROMIUM``); without it the browser tests
are skipped, except when ``CI`` is set.  Playwright never downloads a browser here.
Checks that need no browser (only the built files): one ☰ and one contents button per
page; the bibliography's labels are author-year like the citations, the citations say the
same (1998a, 1998b), and every entry links back to where it is cited; the index of names is
in the sidebar; KaTeX's stylesheet is the release that rendered the formulas; the API's signatures
show no private parameters; the PDF (if ``tasks.py pdf`` built it) is a PDF of many pages;
every module of ``nnbook`` has an API page; no docstring lost a LaTeX backslash to a Python
escape; and every chapter installs ``nnbook`` from the configured repository when it is not
importable (Colab).
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("NNBOOK_SITE", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = SITE.parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# Pages that are not content: the redirect to the first page, and the search page (tested apart).
NOT_CONTENT = {"index.html", "search.html"}
SOLUTION_SELECTOR = ".solution.dropdown"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# The book style (nnbook.plotting.BOOK_STYLE): text of at least 10 pt at 100 dpi, i.e.
# 10 * 100 / 72 = 13.9 px in the image; shown scaled by s, it is 13.9 s px high on screen.
FIGURE_TEXT_PX = 10 * 100 / 72
MIN_TEXT_PX = 8.0
PDF_NAME = "nnbook.pdf"          # written into the site by `python3 tasks.py pdf`


# --- what can be missing: the site, the browser --------------------------------------------
def _chromium() -> str | None:
    for candidate in (os.environ.get("NNBOOK_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _missing(reason: str):
    """Skip the browser tests, or fail them in CI where the browser must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"the website has not been built: no {SITE / 'index.html'}. "
                    "Run `python3 tasks.py html` first (or set NNBOOK_SITE to a built site).")
    return SITE


def _is_content(rel: str) -> bool:
    return (rel.endswith(".html") and rel not in NOT_CONTENT
            and rel.split("/")[0] not in {"_static", "_sources", "_images"})


def content_pages(site: Path) -> list[str]:
    """Every content page of the site as a path relative to it (assets and NOT_CONTENT left out).

    Pages are found by following links from the first page (the root document of the
    table of contents, where index.html redirects), so a stale file left in the build
    folder by an older build is not visited unless the book links it.
    """
    start = _start_page(site)
    seen, queue = {start}, [start]
    while queue:
        rel = queue.pop()
        html = (site / rel).read_text(encoding="utf-8", errors="replace")
        for href in re.findall(r'href="([^"#?]+)', html):
            if "://" in href or href.startswith(("mailto:", "javascript:")):
                continue
            target = (site / rel).parent.joinpath(href).resolve()
            try:
                target_rel = target.relative_to(site).as_posix()
            except ValueError:
                continue
            if _is_content(target_rel) and target_rel not in seen and target.is_file():
                seen.add(target_rel)
                queue.append(target_rel)
    return sorted(seen)


def _start_page(site: Path) -> str:
    """The page index.html redirects to (Jupyter Book writes a meta refresh), else index.html."""
    index = (site / "index.html").read_text(encoding="utf-8", errors="replace")
    match = re.search(r'http-equiv="Refresh" content="0; url=([^"#?]+)', index, re.IGNORECASE)
    return match.group(1) if match and (site / match.group(1)).is_file() else "index.html"


# --- the server -----------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass          # a page left before its last file was sent (a broken pipe): not a failure


@pytest.fixture(scope="module")
def server(site: Path):
    """Serve the site on 127.0.0.1 at a free port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _is_local(url: str) -> bool:
    scheme = urlsplit(url).scheme
    if scheme in {"data", "blob", "about", "javascript"}:
        return True
    return urlsplit(url).hostname == "127.0.0.1"


# --- the browser ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(site: Path):
    executable = _chromium()
    if executable is None:
        _missing("Chromium not found (looked for /usr/bin/chromium, $NNBOOK_CHROMIUM, `chromium` "
                 "on PATH): install it, e.g. `apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Python Playwright is not installed (it is in requirements.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Visit:
    """What the browser saw on one page."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    broken_images: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    buttons: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)      # overflow, figures, alt text, solutions
    perf: dict = field(default_factory=dict)        # bytes, requests, long tasks


class Recorder:
    """A browser context that records, per page, errors and every request that leaves 127.0.0.1.

    Requests to anywhere else are aborted, so the test never reaches the network and
    proves that the site needs none.
    """

    def __init__(self, browser, viewport: dict = DESKTOP):
        phone = viewport["width"] < 600
        self.context = browser.new_context(viewport=viewport, service_workers="block",
                                           is_mobile=phone, has_touch=phone)
        self.context.add_init_script(RECORD_LONG_TASKS)
        self.context.route(lambda url: not _is_local(url), self._abort_outside)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.visit: Visit | None = None
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self._note("console_errors", f"uncaught: {exc}"))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    def _note(self, what: str, message: str) -> None:
        if self.visit is not None:
            getattr(self.visit, what).append(message)

    def _abort_outside(self, route):
        self._note("outside_requests", route.request.url)
        route.abort()

    def _on_console(self, msg):
        if msg.type == "error":
            self._note("console_errors", f"console.error: {msg.text}")

    def _on_request_failed(self, request):
        # ERR_ABORTED is a request cancelled by leaving the page (the favicon, typically);
        # a file that is missing answers 404 and is caught by _on_response.
        if _is_local(request.url) and request.failure != "net::ERR_ABORTED":
            self._note("failed_requests", f"{request.url} ({request.failure})")

    def _on_response(self, response):
        if _is_local(response.url) and response.status >= 400:
            self._note("failed_requests", f"{response.url} (HTTP {response.status})")

    def open(self, url: str, measure: bool = False) -> Visit:
        self.visit = Visit(url)
        self.page.goto(url, wait_until="load")
        wait_for_fonts(self.page)
        if measure:
            self.visit.perf = self.page.evaluate(MEASURE_PAGE)
        return self.visit

    def inspect_layout(self) -> dict:
        """The layout of the page as shown (INSPECT_LAYOUT)."""
        return self.page.evaluate(INSPECT_LAYOUT)

    def close(self):
        self.context.close()


# Before any script of a page: record the main thread's long tasks (> 50 ms).
RECORD_LONG_TASKS = """
window.__nnbookLongTasks = [];
try {
    new PerformanceObserver(list => {
        for (const e of list.getEntries()) window.__nnbookLongTasks.push(e.duration);
    }).observe({type: "longtask", buffered: true});
} catch (e) { /* no Long Tasks API: nothing recorded */ }
"""

# After load: what the page weighed and how long the main thread was blocked, once idle.
MEASURE_PAGE = r"""async () => {
    await new Promise(r => (window.requestIdleCallback || setTimeout)(r, {timeout: 3000}));
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    const byType = {};
    let bytes = nav ? nav.encodedBodySize : 0;
    for (const r of resources) {
        const kind = (r.name.match(/\.(js|css|woff2?|ttf|png|svg|gif|jpe?g)(\?|$)/) || [0, r.initiatorType])[1];
        byType[kind] = (byType[kind] || 0) + r.encodedBodySize;
        bytes += r.encodedBodySize;
    }
    const tasks = window.__nnbookLongTasks || [];
    return {html: nav ? nav.encodedBodySize : 0, bytes, requests: resources.length + 1, byType,
            longestTask: Math.round(Math.max(0, ...tasks)),
            blocking: Math.round(tasks.reduce((s, t) => s + Math.max(0, t - 50), 0)),
            scripts: resources.filter(r => r.initiatorType === "script").map(r => r.name)};
}"""


def wait_for_fonts(page) -> None:
    """Wait until the page's webfonts (KaTeX's, the icons') have loaded: layout is final."""
    page.evaluate("""async () => {
        if (document.fonts) await Promise.race([document.fonts.ready, new Promise(r => setTimeout(r, 15000))]);
    }""")


# JavaScript run on each page: math, images and links of the page as the reader sees them.
INSPECT_PAGE = r"""async () => {
    const main = document.querySelector("main") || document.body;
    // 1. math: Sphinx wraps each equation in span.math / div.math; KaTeX wrote its HTML
    //    (.katex) inside when the site was built.  Raw TeX left anywhere in the prose, a
    //    KaTeX error (.katex-error, red on the page) or KaTeX's own equation number next to
    //    Sphinx's (.eqn-num, from an align/equation environment) is a failure too.
    const mathNodes = [...main.querySelectorAll("span.math, div.math")];
    const untypeset = mathNodes.filter(n => !n.querySelector(".katex"))
                               .map(n => n.textContent.trim().slice(0, 80));
    const texErrors = [...main.querySelectorAll(".katex-error")]
                      .map(n => (n.getAttribute("title") || n.textContent).slice(0, 80));
    const doubleNumbers = main.querySelectorAll(".katex .eqn-num").length;
    const skip = "pre, code, script, style, textarea, .highlight, .output, .cell_output, .katex";
    const rawTex = [];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    const texPattern = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$]*?[\\^_{][^$]*?\$|\$[A-Za-z]\$/;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest(skip)) continue;
        const m = node.textContent.match(texPattern);
        if (m) rawTex.push(node.textContent.trim().slice(0, 100));
    }
    // KaTeX's stylesheet draws the formulas (its fonts), and no script typesets them here.
    const first = main.querySelector(".math .katex-html");
    const styled = !first || getComputedStyle(first.querySelector(".mord, .mop, .mbin, .mrel") || first)
                                 .fontFamily.includes("KaTeX");
    const mathScripts = [...document.scripts].map(s => s.src)
                        .filter(src => /katex|mathjax|tex-chtml|tex-svg|tex-mml/i.test(src));
    // 2. images (the logo included): wait until each has loaded or failed.
    const images = [...document.images];
    images.forEach(img => { if (img.loading === "lazy") img.loading = "eager"; });
    const settled = Promise.all(images.map(img => img.complete ? null : new Promise(r => {
        img.addEventListener("load", r); img.addEventListener("error", r);
    })));
    await Promise.race([settled, new Promise(r => setTimeout(r, 10000))]);
    const brokenImages = images.filter(img => img.naturalWidth === 0)
                               .map(img => img.currentSrc || img.src);
    // 3. links
    const links = [...document.querySelectorAll("a[href]")].map(a => a.href);
    // 4. the header's buttons: download (.ipynb), launch (Colab, Binder), edit
    const hrefs = sel => [...document.querySelectorAll(sel)].map(a => a.getAttribute("href"));
    const buttons = {download: hrefs(".dropdown-download-buttons a[href]"),
                     launch: hrefs(".dropdown-launch-buttons a[href]"),
                     edit: hrefs(".dropdown-source-buttons a.btn-source-edit-button"),
                     codeBlocks: document.querySelectorAll("div.cell_input div.highlight pre").length,
                     copyButtons: document.querySelectorAll("div.cell_input button.copybtn").length};
    return {math: {count: mathNodes.length, styled, mathScripts, untypeset, texErrors, doubleNumbers, rawTex},
            brokenImages, links, buttons};
}"""

# JavaScript run on each page (after INSPECT_PAGE): the layout as seen.
INSPECT_LAYOUT = r"""async () => {
    const column = document.querySelector("article.bd-article") || document.querySelector("main");
    const cs = getComputedStyle(column), box = column.getBoundingClientRect();
    const left = box.left + parseFloat(cs.paddingLeft) - 1;
    const right = box.right - parseFloat(cs.paddingRight) + 1;
    const describe = (el, r) => {
        const cls = (el.getAttribute("class") || "").split(/\s+/).slice(0, 3).join(".");
        const text = (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 60);
        const where = el.closest("section[id]");
        return `${el.tagName.toLowerCase()}${cls ? "." + cls : ""} is ${Math.round(r.width)} px `
             + `wide, ${Math.round(r.right - right)} px past the column's right edge`
             + `${r.left < left ? " (and past its left edge)" : ""} in #${where ? where.id : "?"}: ${text}`;
    };
    // 1. nothing wider than the column, except inside a sideways-scrolling box that itself fits
    const overflow = [];
    const scrolls = el => /^(auto|scroll)$/.test(getComputedStyle(el).overflowX);
    const walk = (el, inScrollBox) => {
        for (const child of el.children) {
            const style = getComputedStyle(child);
            if (style.display === "none" || style.visibility === "hidden" || style.position === "fixed") continue;
            const r = child.getBoundingClientRect();
            const outside = r.width > 0 && r.height > 0 && (r.right > right || r.left < left);
            if (outside && !inScrollBox) { overflow.push(describe(child, r)); continue; }
            // A formula is measured as a whole (its .katex box), not glyph by glyph: KaTeX
            // places sub- and superscripts in boxes that may overhang their formula by a pixel.
            if (/^SVG$/i.test(child.tagName) || child.classList.contains("katex")) continue;
            walk(child, inScrollBox || (scrolls(child) && r.right <= right && r.left >= left));
        }
    };
    walk(column, false);
    const page = document.scrollingElement;
    if (page.scrollWidth > window.innerWidth + 1) {
        overflow.push(`the page scrolls sideways: ${page.scrollWidth} px wide in a ${window.innerWidth} px window`);
    }
    // 2. figures: shown scale, link to the full-size image, alt text
    const figures = [...column.querySelectorAll("img")]
        .filter(img => img.naturalWidth > 0 && img.getClientRects().length && img.offsetParent !== null)
        .map(img => {
            const r = img.getBoundingClientRect();
            const link = img.closest("a");
            return {src: img.getAttribute("src").split("/").pop().slice(0, 16),
                    natural: img.naturalWidth, shown: Math.round(r.width),
                    textPx: Math.round(10 * (r.width / img.naturalWidth) * (10 * 100 / 72)) / 10,
                    animation: !!img.closest(".animation"),
                    zoom: !!(link && link.classList.contains("figure-zoom") && link.href === img.src),
                    alt: img.getAttribute("alt") || ""};
        });
    // 3. solutions: nothing of a solution outside it, one click to open it
    const exercises = column.querySelector("section#exercises");
    const outside = exercises ? [...exercises.querySelectorAll("div.cell")]
        .filter(cell => !cell.closest(".solution") && cell.querySelector(".cell_output *"))
        .map(cell => cell.querySelector(".cell_output").textContent.replace(/\s+/g, " ").trim().slice(0, 60)) : [];
    const twoClicks = [...column.querySelectorAll(".solution details.hide")].length;
    // 4. keyboard and screen readers: formulas are no Tab stops; every toggle has a name
    const tabStopFormulas = document.querySelectorAll(".math [tabindex]:not([tabindex='-1'])").length;
    const unnamed = [...document.querySelectorAll("summary, button")]
        .filter(el => el.getClientRects().length || el.closest("nav.bd-links"))
        .filter(el => !(el.getAttribute("aria-label") || el.getAttribute("title") || el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 80));
    const genericNames = [...document.querySelectorAll("summary[aria-label='Toggle hidden content']")].length;
    return {overflow, figures, solutions: {outside, twoClicks},
            a11y: {tabStopFormulas, unnamed, genericNames}};
}"""


@pytest.fixture(scope="module")
def crawl(site: Path, server: str, browser) -> dict[str, Visit]:
    """Visit every content page once; return what was seen, keyed by page path."""
    recorder = Recorder(browser)
    visits = {}
    try:
        for rel in content_pages(site):
            visit = recorder.open(urljoin(server, rel), measure=True)
            seen = recorder.page.evaluate(INSPECT_PAGE)
            visit.math, visit.broken_images, visit.links, visit.buttons = (
                seen["math"], seen["brokenImages"], seen["links"], seen["buttons"])
            visit.layout = recorder.inspect_layout()
            visits[rel] = visit
            if rel == "chapters/forward_propagation.html":
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                recorder.page.screenshot(path=str(SCREENSHOTS / "forward_propagation.png"))
                figure = recorder.page.locator("main .cell_output img").first
                if figure.count():
                    figure.scroll_into_view_if_needed()
                    recorder.page.screenshot(
                        path=str(SCREENSHOTS / "forward_propagation_figure.png"))
    finally:
        recorder.close()
    assert visits, f"no HTML pages found in {site}"
    return visits


def _phone_pages(site: Path) -> list[str]:
    """The pages read on a phone: the chapters and the first pages (not the API reference)."""
    return [p for p in content_pages(site) if not p.startswith("api/") and p != "genindex.html"
            and p != "py-modindex.html"]


@pytest.fixture(scope="module")
def phone_crawl(site: Path, server: str, browser) -> dict[str, Visit]:
    """The chapters and first pages at phone width (390 px): layout only, and the weight."""
    recorder = Recorder(browser, viewport=PHONE)
    visits = {}
    try:
        for rel in _phone_pages(site):
            visit = recorder.open(urljoin(server, rel), measure=True)
            visit.layout = recorder.inspect_layout()
            visits[rel] = visit
            if rel == "chapters/forward_propagation.html":
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                recorder.page.screenshot(path=str(SCREENSHOTS / "forward_propagation_phone.png"))
    finally:
        recorder.close()
    assert visits, f"no HTML pages found in {site}"
    return visits


def _report(problems: dict[str, list[str]]) -> str:
    lines = []
    for page, items in problems.items():
        lines.append(f"{page}:")
        lines.extend(f"    {item}" for item in items[:10])
        if len(items) > 10:
            lines.append(f"    ... and {len(items) - 10} more")
    return "\n".join(lines)


# --- one test per property, over every page -----------------------------------------------
def test_every_page_of_the_book_is_there(site, crawl):
    """The pages the table of contents names were built (a sanity check of the crawl itself)."""
    expected = {"intro.html", "bibliography.html", "api.html"}
    assert expected <= set(crawl), f"missing pages: {sorted(expected - set(crawl))}"
    chapters = [p for p in crawl if p.startswith("chapters/")]
    assert chapters, "no chapter pages were built"


def test_pages_load_without_javascript_errors(crawl):
    problems = {p: v.console_errors for p, v in crawl.items() if v.console_errors}
    assert not problems, "JavaScript errors:\n" + _report(problems)


def test_no_failed_requests(crawl):
    problems = {p: v.failed_requests for p, v in crawl.items() if v.failed_requests}
    assert not problems, "requests that failed on the local server:\n" + _report(problems)


def test_the_site_works_offline(crawl):
    """Nothing is fetched from outside 127.0.0.1: no CDN for KaTeX, fonts or scripts."""
    problems = {p: v.outside_requests for p, v in crawl.items() if v.outside_requests}
    assert not problems, "requests that left 127.0.0.1:\n" + _report(problems)


def test_every_equation_is_typeset(crawl):
    problems = {}
    for page, visit in crawl.items():
        math = visit.math
        items = []
        if math["count"] and not math["styled"]:
            items.append(f"{math['count']} equations but KaTeX's stylesheet does not draw them")
        if math["mathScripts"]:
            items.append(f"a script renders the math in the browser: {math['mathScripts']} (the "
                         "site was built without Node.js? Formulas are rendered at build time)")
        if math["doubleNumbers"]:
            items.append(f"{math['doubleNumbers']} equation numbers drawn by KaTeX beside Sphinx's "
                         "(write aligned/split, not align/equation, inside $$...$$)")
        items += [f"not typeset: {t!r}" for t in math["untypeset"]]
        items += [f"TeX error: {t!r}" for t in math["texErrors"]]
        items += [f"raw TeX in the text: {t!r}" for t in math["rawTex"]]
        if items:
            problems[page] = items
    assert not problems, "math not rendered:\n" + _report(problems)
    assert any(v.math["count"] for v in crawl.values()), "no page has any math: is the crawl broken?"


def test_every_image_loads(crawl):
    problems = {p: v.broken_images for p, v in crawl.items() if v.broken_images}
    assert not problems, "images that did not load:\n" + _report(problems)


# --- layout, at desktop and at phone width ---------------------------------------------------
def _both(crawl, phone_crawl):
    return [("1366 px", crawl), ("390 px", phone_crawl)]


def test_nothing_is_wider_than_its_column(crawl, phone_crawl):
    """Equations, code, outputs and figures fit the column or scroll sideways in their own
    box; the page itself never scrolls sideways."""
    problems = {}
    for width, visits in _both(crawl, phone_crawl):
        for page, visit in visits.items():
            if visit.layout["overflow"]:
                problems[f"{page} at {width}"] = visit.layout["overflow"]
    assert not problems, "cut off or past the column's edge:\n" + _report(problems)


def test_figure_text_is_not_shrunk_below_a_readable_size(crawl, phone_crawl):
    """A figure drawn in the book style (10 pt text at 100 dpi: 13.9 px) may be shown scaled
    by s only where 13.9 s >= 8 px: wider figures must be drawn narrower (at most
    nnbook.plotting.MAX_WIDTH inches), not shrunk."""
    problems = {}
    for width, visits in _both(crawl, phone_crawl):
        for page, visit in visits.items():
            small = [f"{f['src']}: {f['natural']} px drawn, shown at {f['shown']} px, so its "
                     f"text is {f['textPx']} px high" for f in visit.layout["figures"]
                     if f["textPx"] < MIN_TEXT_PX]
            if small:
                problems[f"{page} at {width}"] = small
    assert not problems, (f"figure text below {MIN_TEXT_PX} px (draw the figure at most "
                          "7.2 in wide, two panels per row at most):\n" + _report(problems))


def test_figures_open_at_full_size_and_have_alt_text(crawl):
    problems = {}
    for page, visit in crawl.items():
        items = []
        for f in visit.layout["figures"]:
            if not f["animation"] and not f["zoom"]:
                items.append(f"{f['src']}: not a link to its full-size image")
            alt = f["alt"].strip()
            if not alt or re.search(r"\.(png|svg|gif|jpe?g)$", alt) or "/" in alt.split(" ")[0]:
                items.append(f"{f['src']}: alt text {alt!r} is not a description")
        if items:
            problems[page] = items
    assert not problems, "figures:\n" + _report(problems)
    assert any(v.layout["figures"] for v in crawl.values()), "no figures found: is the crawl broken?"


def test_everything_of_a_solution_is_inside_it(crawl):
    """No check cell of an exercise prints outside the closed solution; a solution opens with
    one click (its code is not behind a second "show code" toggle)."""
    problems = {}
    for page, visit in crawl.items():
        solutions, items = visit.layout["solutions"], []
        items += [f"output outside any solution: {text!r}" for text in solutions["outside"]]
        if solutions["twoClicks"]:
            items.append(f"{solutions['twoClicks']} code cells inside solutions are hidden behind "
                         "a second toggle (remove their hide-input tag)")
        if items:
            problems[page] = items
    assert not problems, ("solutions (write them in the gated form, solution-start/-end, "
                          "see tools/apply_to_chapters.py):\n" + _report(problems))


def test_report_page_weight_and_long_tasks(site, crawl, phone_crawl):
    """Print what each page weighs and how long its main thread was blocked after load
    (measured on the machine that ran the test; budgets: benchmarks/bench_page_weight.py).
    Asserted: only that the measurement happened, and that the 1.5 MB icon script is gone."""
    lines = [f"{'page':44} {'width':>6} {'KB':>7} {'HTML KB':>8} {'JS KB':>7} {'CSS KB':>7} "
             f"{'req':>4} {'longest task ms':>16} {'blocking ms':>12}"]
    for width, visits in _both(crawl, phone_crawl):
        for page, visit in sorted(visits.items()):
            perf = visit.perf
            by = perf["byType"]
            lines.append(f"{page:44} {width:>6} {perf['bytes'] / 1024:7.0f} {perf['html'] / 1024:8.0f} "
                         f"{by.get('js', 0) / 1024:7.0f} {by.get('css', 0) / 1024:7.0f} "
                         f"{perf['requests']:4d} {perf['longestTask']:16d} {perf['blocking']:12d}")
    report = "\n".join(lines)
    print("\n" + report)
    (SITE.parent / "website-report.txt").write_text(report + "\n", encoding="utf-8")
    assert all(v.perf["bytes"] > 0 for v in crawl.values()), "page weights were not measured"
    loaded_icon_script = [p for p, v in crawl.items()
                          if any("fontawesome.js" in s for s in v.perf["scripts"])]
    assert not loaded_icon_script, f"fontawesome.js is loaded again: {loaded_icon_script[:3]}"


def test_toggles_are_named_and_formulas_are_not_tab_stops(crawl):
    problems = {}
    for page, visit in crawl.items():
        a11y, items = visit.layout["a11y"], []
        if a11y["tabStopFormulas"]:
            items.append(f"{a11y['tabStopFormulas']} formulas are Tab stops")
        items += [f"no accessible name: {html}" for html in a11y["unnamed"]]
        if a11y["genericNames"]:
            items.append(f"{a11y['genericNames']} code toggles are named 'Toggle hidden content'")
        if items:
            problems[page] = items
    assert not problems, "keyboard / screen reader:\n" + _report(problems)


_TAB_STOPS = """() => [...document.querySelectorAll(
        "pre, .nboutput > .output_area, .cell_output > .output, .jp-RenderedHTMLCommon, " +
        ".pst-scrollable-table-container")].map(el => {
    const scrolls = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
    return {scrolls, tabIndex: el.tabIndex, hidden: !!el.closest("details:not([open])"),
            text: (el.textContent || "").trim().slice(0, 50)};
})"""


def test_scrollable_code_and_outputs_become_tab_stops_when_idle(site, server, browser):
    """A code block or output that scrolls sideways is a Tab stop (so a keyboard can scroll
    it) and one that does not is not, at phone width and again after the window is widened;
    hidden code is none until its cell is opened, and then is one if it scrolls.  The book's
    script sets them while the browser is idle; the theme's own load-time pass, which laid
    out the whole page in one task, is not in its script (book_fixes fix 14)."""
    theme = (site / "_static" / "scripts" / "pydata-sphinx-theme.js").read_text(encoding="utf-8")
    assert "fix 14" in theme and not re.search(
        r'readyState\?\w+\(\):window\.addEventListener\("load",\w+\)', theme), (
        "the theme's script still checks every scrollable block when the page loads")
    recorder = Recorder(browser, viewport=PHONE)
    page = recorder.page
    try:
        recorder.open(urljoin(server, "chapters/backpropagation.html"))
        seen = {}
        for width, viewport in (("390 px", PHONE), ("1366 px", DESKTOP)):
            if viewport is DESKTOP:       # the check runs again after a resize
                page.evaluate("delete document.documentElement.dataset.tabStops")
                page.set_viewport_size(DESKTOP)
            page.wait_for_function("document.documentElement.dataset.tabStops === 'set'",
                                   timeout=10_000)
            blocks = page.evaluate(_TAB_STOPS)
            wrong = [b for b in blocks
                     if b["tabIndex"] != (0 if b["scrolls"] and not b["hidden"] else -1)]
            assert not wrong, f"at {width}, Tab stops that do not match scrolling: {wrong[:5]}"
            seen[width] = sum(b["scrolls"] and not b["hidden"] for b in blocks)
        assert seen["390 px"] > seen["1366 px"] >= 0 and seen["390 px"] > 0, (
            f"blocks that scroll sideways, by width: {seen} (a phone should have more)")
        # open a hidden cell whose code is wider than the column: its code becomes a Tab stop
        index = page.evaluate("""() => [...document.querySelectorAll("details.hide")].findIndex(
            d => !d.open && [...d.querySelectorAll("pre")].some(p => p.scrollWidth > p.clientWidth))""")
        assert index >= 0, "no hidden cell has code wider than the column at 1366 px"
        details = page.locator("details.hide").nth(index)
        assert details.locator("pre").first.evaluate("p => p.tabIndex") == -1
        page.evaluate("delete document.documentElement.dataset.tabStops")
        details.locator("summary").first.click()
        page.wait_for_function("document.documentElement.dataset.tabStops === 'set'",
                               timeout=10_000)
        opened = [b for b in details.locator("pre").evaluate_all(
            "ps => ps.map(p => [p.scrollWidth > p.clientWidth, p.tabIndex])")]
        assert opened and all(t == (0 if wide else -1) for wide, t in opened) and any(
            wide for wide, _ in opened), f"an opened cell's code: [wider, tabIndex] {opened}"
        assert not recorder.visit.console_errors, recorder.visit.console_errors
    finally:
        recorder.close()


_MARK_REFERENCES = """() => {
    // the first shown reference to an equation, a figure, an exercise and a section of the page
    const kinds = {};
    for (const a of document.querySelectorAll("article.bd-article a.reference.internal[href^='#']")) {
        if (!a.getClientRects().length || a.closest("details:not([open])")) continue;
        let t = null;
        try { t = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1))); }
        catch (e) { continue; }
        if (!t) continue;
        const kind = t.matches("div.math") ? "equation" : t.matches("figure") ? "figure"
            : t.matches(".exercise") ? "exercise"
            : t.matches("span:empty") && t.parentElement.matches("section") ? "section" : null;
        if (kind && !kinds[kind]) { kinds[kind] = a.textContent.trim(); a.dataset.testRef = kind; }
    }
    return kinds;
}"""
_PREVIEW = """() => {
    const tip = document.querySelector(".ref-preview");
    if (!tip) return null;
    const r = tip.getBoundingClientRect(), img = tip.querySelector("img");
    return {text: tip.textContent.replace(/\\s+/g, " "), ids: tip.querySelectorAll("[id]").length,
            math: !!tip.querySelector(".katex-display"), img: img ? img.naturalWidth : null,
            inside: r.left >= 0 && r.top >= 0 && r.right <= document.documentElement.clientWidth
                    && r.bottom <= window.innerHeight,
            hidden: tip.getAttribute("aria-hidden") === "true",
            minWidth: img ? img.style.minWidth : ""};
}"""


def _point_at(page, locator) -> None:
    """Bring the element to the middle of the window, wait until it stops moving (blocks
    around it are laid out as they near the screen), and put the mouse on it."""
    last = None
    for _ in range(20):
        locator.evaluate("el => el.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(150)
        box = locator.bounding_box()
        if box and last and abs(box["y"] - last["y"]) < 1:
            break
        last = box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_references_within_a_page_show_a_preview(site, server, browser):
    """Pointing at a reference to an equation, a figure, an exercise or a section of the same
    page shows a copy of it by the link (inside the window, without ids of its own, hidden
    from screen readers, which follow the link), which goes when the pointer leaves, also
    when it passed over another reference on the way; reaching a reference with the keyboard
    shows it too, and Escape closes it.  A touch shows none."""
    recorder = Recorder(browser, viewport=DESKTOP)
    page = recorder.page
    try:
        recorder.open(urljoin(server, "chapters/gradient_descent.html"))
        kinds = page.evaluate(_MARK_REFERENCES)
        assert set(kinds) == {"equation", "figure", "exercise", "section"}, kinds
        for kind, label in kinds.items():
            link = page.locator(f"[data-test-ref='{kind}']")
            _point_at(page, link)
            page.wait_for_selector(".ref-preview", timeout=5_000)
            tip = page.evaluate(_PREVIEW)
            assert tip["inside"] and tip["ids"] == 0 and tip["hidden"], (kind, tip)
            if kind == "equation":
                assert tip["math"] and label in tip["text"], (label, tip["text"][:80])
            elif kind == "figure":
                assert tip["img"] and not tip["minWidth"] and label.split()[-1] in tip["text"], (
                    label, tip)
            else:
                assert label.split()[-1] in tip["text"] or label in tip["text"], (label, tip["text"][:80])
            page.mouse.move(5, DESKTOP["height"] - 5)
            page.wait_for_selector(".ref-preview", state="detached", timeout=5_000)
        # from one reference over another (too briefly to open it) and away: nothing stays open
        _point_at(page, page.locator("[data-test-ref='figure']"))
        page.wait_for_selector(".ref-preview", timeout=5_000)
        box = page.evaluate("""() => {       // another reference on the screen, not under the preview
            const a = document.querySelector("[data-test-ref='figure']");
            for (const b of document.querySelectorAll("article.bd-article a.reference.internal[href^='#']")) {
                const r = b.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (b === a || !r.width || y < 60 || y > innerHeight - 10) continue;
                const hit = document.elementFromPoint(x, y);
                if (hit && b.contains(hit)) return {x, y};
            }
            return null;
        }""")
        assert box, "no second reference on the screen beside the figure's"
        page.mouse.move(box["x"], box["y"])
        page.wait_for_timeout(60)
        page.mouse.move(5, DESKTOP["height"] - 5)
        page.wait_for_selector(".ref-preview", state="detached", timeout=5_000)
        page.wait_for_timeout(600)
        assert page.locator(".ref-preview").count() == 0, "a preview opened after the pointer left"
        # a touch on a reference (no click): no preview
        link = page.locator("[data-test-ref='equation']")
        link.evaluate("""el => { el.scrollIntoView({block: 'center'});
            el.dispatchEvent(new PointerEvent("pointerover", {pointerType: "touch", bubbles: true})); }""")
        page.wait_for_timeout(600)
        assert page.locator(".ref-preview").count() == 0, "a touch on a reference opened a preview"
        page.keyboard.press("Shift")                # the last input was the keyboard
        link.focus()
        page.wait_for_selector(".ref-preview", timeout=5_000)
        page.keyboard.press("Escape")
        page.wait_for_selector(".ref-preview", state="detached", timeout=5_000)
        assert not recorder.visit.console_errors, recorder.visit.console_errors
    finally:
        recorder.close()


def test_math_at_phone_speed_is_reported(site, server, browser):
    """The chapter with the most formulas, at 390 px with the CPU slowed 4x (a phone): the
    longest main-thread task and the total blocking time after load are printed, not
    asserted (they depend on the machine).  The formulas are HTML written when the site was
    built (KaTeX), so no script typesets anything here, and nothing lays out the whole page
    at once (book_fixes fix 14); what remains is parsing the page, the themes' start-up
    scripts and laying out what is on the screen (the longest task, typically 0.17-0.26 s on
    the machine that wrote this, more when it is busy)."""
    counts = {rel: (site / rel).read_text(encoding="utf-8").count('class="math')
              for rel in content_pages(site) if rel.startswith("chapters/")}
    rel = max(counts, key=counts.get)
    recorder = Recorder(browser, viewport=PHONE)
    try:
        cdp = recorder.context.new_cdp_session(recorder.page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        visit = recorder.open(urljoin(server, rel), measure=True)
        ready = recorder.page.evaluate("performance.now()")
    finally:
        recorder.close()
    line = (f"{rel} ({counts[rel]} formulas) at 390 px, CPU / 4: ready "
            f"after {ready / 1000:.1f} s, longest task {visit.perf['longestTask']} ms, "
            f"blocking {visit.perf['blocking']} ms")
    print("\n" + line)
    with (SITE.parent / "website-report.txt").open("a", encoding="utf-8") as report:
        report.write(line + "\n")
    assert visit.perf["bytes"] > 0


# --- navigation ---------------------------------------------------------------------------------
def _a_chapter(site: Path) -> str:
    return next(p for p in content_pages(site) if p.startswith("chapters/"))


def test_each_page_has_one_menu_button_and_one_contents_button(site):
    """Two .primary-toggle buttons (the theme's header and the book theme's) let the theme's
    script bind the hidden one: the visible ☰ then opens nothing (_config.yml explains)."""
    page = (site / _a_chapter(site)).read_text(encoding="utf-8")
    assert len(re.findall(r'class="[^"]*\bprimary-toggle\b', page)) == 1
    assert len(re.findall(r'class="[^"]*\bsecondary-toggle\b', page)) == 1


def test_phone_drawers_open_and_close(site, server, browser):
    """At 390 px, ☰ opens the chapter list and the contents button the page's contents;
    Escape, a click beside the drawer and following a link close them."""
    recorder = Recorder(browser, viewport=PHONE)
    page = recorder.page
    try:
        recorder.open(urljoin(server, _a_chapter(site)))
        for toggle, dialog, link in (
                ("button.primary-toggle", "#pst-primary-sidebar-modal", "nav.bd-links a"),
                ("button.secondary-toggle", "#pst-secondary-sidebar-modal", "nav.page-toc a, .bd-toc-nav a")):
            button = page.locator(toggle)
            assert button.count() == 1 and button.is_visible(), f"{toggle} is not shown on a phone"
            drawer = page.locator(dialog)
            assert not drawer.evaluate("d => d.open"), f"{dialog} is open before any click"
            button.click()
            page.wait_for_function(f"document.querySelector('{dialog}').open", timeout=5_000)
            first = drawer.locator(link).first
            first.wait_for(state="visible", timeout=5_000)
            box = drawer.bounding_box()
            assert box and box["width"] > 200, f"{dialog} opened with no width: {box}"
            page.keyboard.press("Escape")
            page.wait_for_function(f"!document.querySelector('{dialog}').open", timeout=5_000)
            assert button.is_visible(), f"{toggle} is gone after the drawer closed"
            button.click()                                     # again, and close it by a click beside it
            page.wait_for_function(f"document.querySelector('{dialog}').open", timeout=5_000)
            box = drawer.bounding_box()
            outside_x = box["x"] + box["width"] + 5 if box["x"] < 20 else max(box["x"] - 5, 1)
            page.mouse.click(outside_x, PHONE["height"] / 2)
            page.wait_for_function(f"!document.querySelector('{dialog}').open", timeout=5_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("button.primary-toggle").click()
        page.wait_for_function("document.querySelector('#pst-primary-sidebar-modal').open")
        page.screenshot(path=str(SCREENSHOTS / "phone_menu.png"))
        target = page.locator("#pst-primary-sidebar-modal nav.bd-links a:visible").last
        href = target.get_attribute("href")
        target.click()
        page.wait_for_load_state("load")
        assert href.split("#")[0].split("/")[-1] in page.url, f"the menu's link {href} went to {page.url}"
        assert not recorder.visit.console_errors, recorder.visit.console_errors
    finally:
        recorder.close()


def test_menu_button_collapses_the_sidebar_on_a_desktop(site, server, browser):
    recorder = Recorder(browser, viewport=DESKTOP)
    page = recorder.page
    try:
        recorder.open(urljoin(server, _a_chapter(site)))
        sidebar = page.locator("#pst-primary-sidebar")
        button = page.locator("button.primary-toggle")
        assert sidebar.is_visible(), "the sidebar is not shown on a desktop"
        assert button.is_visible(), "no ☰ button on a desktop"
        article_left = page.locator("article.bd-article").bounding_box()["x"]
        button.click()
        sidebar.wait_for(state="hidden", timeout=5_000)
        assert not page.evaluate("document.querySelector('#pst-primary-sidebar-modal').open"), (
            "☰ opened the phone drawer on a desktop instead of collapsing the sidebar")
        assert page.locator("article.bd-article").bounding_box()["x"] < article_left, (
            "the text did not take the sidebar's room")
        button.click()
        sidebar.wait_for(state="visible", timeout=5_000)
    finally:
        recorder.close()


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


def test_every_internal_link_resolves(site, server, crawl):
    """Every link to the site answers 200; every #anchor into a page exists in that page."""
    targets: dict[str, set[str]] = {}          # url without fragment -> pages linking to it
    anchors: dict[tuple[str, str], set[str]] = {}
    for page, visit in crawl.items():
        for href in visit.links:
            if not href.startswith(server):
                continue
            url, fragment = urldefrag(href)
            targets.setdefault(url, set()).add(page)
            if fragment and url.endswith(".html"):
                anchors.setdefault((url, unquote(fragment)), set()).add(page)
    problems: dict[str, list[str]] = {}
    ids: dict[str, set[str]] = {}
    pdf = urljoin(server, PDF_NAME)
    for url, pages in sorted(targets.items()):
        if url == pdf and not (site / PDF_NAME).is_file():
            continue          # the footer's PDF link: `python3 tasks.py pdf` builds it (checked below)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            for page in pages:
                problems.setdefault(page, []).append(f"{url} -> HTTP {err.code}")
            continue
        if url.endswith(".html"):
            parser = _Ids()
            parser.feed(body.decode("utf-8", "replace"))
            ids[url] = parser.ids
    for (url, fragment), pages in sorted(anchors.items()):
        if url in ids and fragment not in ids[url]:
            for page in pages:
                problems.setdefault(page, []).append(f"{url}#{fragment}: no such anchor")
    assert targets, "no internal links found: is the crawl broken?"
    assert not problems, "broken internal links:\n" + _report(problems)


# --- features of the book -------------------------------------------------------------------
def test_search_finds_backpropagation(site, server, browser):
    recorder = Recorder(browser)
    try:
        visit = recorder.open(urljoin(server, "search.html?q=backpropagation"))
        results = recorder.page.locator("#search-results ul.search li")
        results.first.wait_for(state="visible", timeout=20_000)
        count = results.count()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        recorder.page.screenshot(path=str(SCREENSHOTS / "search.png"))
        titles = results.locator("a").first.inner_text()
        recorder.page.wait_for_function(
            "document.querySelectorAll('#search-results ul.search li p.context').length >= "
            "Math.min(3, document.querySelectorAll('#search-results ul.search li').length)",
            timeout=20_000)
        links = [a.get_attribute("href") for a in results.locator("a").all()]
        snippets = results.locator("p.context").all_inner_texts()
    finally:
        recorder.close()
    assert count >= 1, "no search results for 'backpropagation'"
    duplicates = sorted({h for h in links if links.count(h) > 1})
    assert not duplicates, f"pages listed twice in the search results: {duplicates}"
    raw = [s[:80] for s in snippets if re.search(r"\\\(|\\\[|\$\$|\\frac|\\mathbf", s)]
    assert not raw, f"search snippets show raw TeX: {raw}"
    chrome = [s[:80] for s in snippets if re.search(r"Show code cell|Contents|Copy to clipboard", s)]
    assert not chrome, f"search snippets show the page's buttons or contents: {chrome}"
    assert titles.strip(), "the first search result has no title"
    assert not visit.console_errors, visit.console_errors
    assert not visit.outside_requests, visit.outside_requests


def _chapter_with(site: Path, needle: str) -> str | None:
    for rel in content_pages(site):
        if rel.startswith("chapters/") and needle in (site / rel).read_text(encoding="utf-8"):
            return rel
    return None


def test_exercise_solution_is_hidden_until_clicked(site, server, browser):
    page_path = _chapter_with(site, 'class="solution dropdown')
    if page_path is None:
        pytest.fail("no chapter has an exercise solution in a dropdown (:class: dropdown)")
    recorder = Recorder(browser)
    try:
        recorder.open(urljoin(server, page_path))
        solution = recorder.page.locator(SOLUTION_SELECTOR).first
        body = solution.locator("section").first
        toggle = solution.locator("button.toggle-button").first
        solution.scroll_into_view_if_needed()
        assert solution.locator(".admonition-title").first.is_visible(), (
            f"{page_path}: the solution's title is not shown")
        assert not body.is_visible(), f"{page_path}: the solution is visible before any click"
        assert toggle.count() == 1, f"{page_path}: the solution has no toggle button"
        visible_focus = toggle.evaluate("""el => { el.focus({focusVisible: true});
            const s = getComputedStyle(el);
            return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; }""")
        assert visible_focus, f"{page_path}: the solution's toggle shows no keyboard focus"
        toggle.click()
        body.wait_for(state="visible", timeout=5_000)
        assert body.is_visible(), f"{page_path}: the solution did not open when clicked"
        toggle.click()
        body.wait_for(state="hidden", timeout=5_000)
    finally:
        recorder.close()


def _repository_url() -> str:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


def test_each_chapter_offers_its_notebook_and_launch_buttons(server, crawl):
    """The download dropdown links the chapter's .ipynb (served, a notebook); Colab and
    Binder buttons open that notebook from the repository of _config.yml; so does 'edit';
    every code cell has a copy button."""
    repo = _repository_url()
    owner_name = urlsplit(repo).path.strip("/")
    chapters = {p: v for p, v in crawl.items() if p.startswith("chapters/")}
    problems: dict[str, list[str]] = {}
    for rel, visit in chapters.items():
        stem = rel[: -len(".html")]
        buttons, items = visit.buttons, []
        notebooks = [h for h in buttons["download"] if h.endswith(".ipynb")]
        if len(notebooks) != 1:
            items.append(f"download dropdown offers {notebooks}, expected one .ipynb")
        for href in notebooks:
            url = urljoin(visit.url, href)
            if not url.endswith(f"/_sources/{stem}.ipynb"):
                items.append(f"download link {href} is not _sources/{stem}.ipynb")
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    if '"nbformat"' not in response.read().decode("utf-8"):
                        items.append(f"{href} is not a notebook")
            except urllib.error.HTTPError as err:
                items.append(f"{href} -> HTTP {err.code}")
        colab = f"https://colab.research.google.com/github/{owner_name}/blob/"
        if not any(h.startswith(colab) and h.endswith(f"/{stem}.ipynb") for h in buttons["launch"]):
            items.append(f"no Colab button for {owner_name}: {stem}.ipynb in {buttons['launch']}")
        if not any(h.startswith(f"https://mybinder.org/v2/gh/{owner_name}/")
                   and h.endswith(f"/{stem}.ipynb") for h in buttons["launch"]):
            items.append(f"no Binder button for {owner_name}: {stem}.ipynb in {buttons['launch']}")
        if not any(h.startswith(f"{repo}/edit/") and h.endswith(f"/{stem}.ipynb")
                   for h in buttons["edit"]):
            items.append(f"no 'edit this page' link into {repo}: {buttons['edit']}")
        if buttons["copyButtons"] != buttons["codeBlocks"]:
            items.append(f"{buttons['codeBlocks']} code cells but {buttons['copyButtons']} copy buttons")
        if items:
            problems[rel] = items
    assert chapters, "no chapter pages"
    assert not problems, "download/launch buttons:\n" + _report(problems)


def test_download_dropdown_opens(site, server, browser):
    """Clicking the download button shows the .ipynb entry (the dropdown works)."""
    page_path = next(p for p in content_pages(site) if p.startswith("chapters/"))
    recorder = Recorder(browser)
    try:
        recorder.open(urljoin(server, page_path))
        entry = recorder.page.locator(".dropdown-download-buttons a[href$='.ipynb']").first
        assert not entry.is_visible(), "the download menu is open before any click"
        recorder.page.locator(".dropdown-download-buttons button").first.click()
        entry.wait_for(state="visible", timeout=5_000)
    finally:
        recorder.close()


def _ext_module(name: str):
    """A module of the book's own Sphinx tooling in _ext/ (not a package), imported."""
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT / "_ext"))

def _object_streams(data: bytes) -> list[bytes]:
    """The unpacked contents of a PDF's compressed object streams (``/Type /ObjStm``)."""
    import zlib

    found = []
    for match in re.finditer(rb"<<([^>]*?/Type\s*/ObjStm[^>]*?)>>\s*stream\r?\n", data):
        length = re.search(rb"/Length\s+(\d+)(?!\s+\d+\s+R)", match.group(1))
        if length and b"/FlateDecode" in match.group(1):
            start = match.end()
            found.append(zlib.decompress(data[start:start + int(length.group(1))]))
    return found


def test_the_printed_pdf_is_compressed_or_kept_and_never_half_written(tmp_path, monkeypatch):
    """print_pdf's last step on a small PDF (matplotlib's): with qpdf its objects end up in
    object streams, without it the file is copied as it is, and when qpdf fails the previous
    book is left as it was, with no partial file beside it."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    print_pdf = _ext_module("print_pdf")
    printed, out = tmp_path / "printed.pdf", tmp_path / "book.pdf"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set_title("a small PDF")
    fig.savefig(printed)
    plt.close(fig)
    if shutil.which("qpdf"):
        print_pdf._compress(str(printed), str(out))
        data = out.read_bytes()
        assert data.startswith(b"%PDF-") and _object_streams(data), "qpdf made no object streams"
        out.write_bytes(b"%PDF-1.4 the previous book")
        (tmp_path / "broken.pdf").write_bytes(b"not a PDF at all")
        with pytest.raises(SystemExit, match="qpdf could not compress"):
            print_pdf._compress(str(tmp_path / "broken.pdf"), str(out))
        assert out.read_bytes() == b"%PDF-1.4 the previous book"
    monkeypatch.setattr(print_pdf.shutil, "which", lambda name: None)
    assert "no qpdf" in print_pdf._compress(str(printed), str(out))
    assert out.read_bytes() == printed.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []


def test_the_pdf_of_the_book_is_a_pdf(site):
    """`python3 tasks.py pdf` writes the whole book, solutions included, to <site>/nnbook.pdf,
    which every page's footer links."""
    pdf = site / PDF_NAME
    if not pdf.is_file():
        pytest.skip(f"no {pdf}: build it with `python3 tasks.py pdf`")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-"), f"{pdf} is not a PDF"
    objects = data + b"".join(_object_streams(data))     # qpdf packs them (print_pdf.py)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", objects))
    assert pages >= 20, f"{pdf} has {pages} pages: the whole book should have many more"
    assert b"/StructTreeRoot" in objects and b"/Outlines" in objects, (
        f"{pdf} has lost its tags or its outline")
    assert f'href="{PDF_NAME}"' in (site / "intro.html").read_text(encoding="utf-8")


def test_bibliography_labels_match_the_citations(site):
    """The text cites author-year ("Nielsen, 2015"); the bibliography's labels say the same
    (not pybtex's "Nie15"), so a reader finds the entry a citation names."""
    page = (site / "bibliography.html").read_text(encoding="utf-8")
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>([^<]*)<', page)
    assert labels, "no bibliography entries"
    bad = [label for label in labels if not re.fullmatch(r".+, (\d{4}|n\.d\.)[a-z]?", label)]
    assert not bad, f"bibliography labels that are not author-year: {bad[:10]}"


def _bibliography_labels(site: Path) -> dict[str, str]:
    """{citation id: label} of the bibliography page's entries."""
    page = (site / "bibliography.html").read_text(encoding="utf-8")
    return dict(re.findall(r'<div class="citation" id="([^"]+)"[^>]*>\s*<span class="label">'
                           r'<span class="fn-bracket">\[</span>([^<]*)<', page))


def test_citations_in_the_text_say_what_the_bibliography_says(site):
    """A citation's words are its entry's label, or the end of it: "Novikoff, 1962", or
    "1998a" after "LeCun et al." (two 1998 papers: a and b, in the text too)."""
    labels = _bibliography_labels(site)
    assert len(labels) > 20, f"only {len(labels)} bibliography entries found"
    wrong, seen = [], set()
    for rel in content_pages(site):
        html = (site / rel).read_text(encoding="utf-8")
        for target, text in re.findall(r'href="(?:\.\./)*bibliography\.html#([^"]+)"[^>]*>([^<]+)</a>', html):
            if target in labels:
                seen.add(target)
                words = " ".join(text.split())          # "Del\xa0Balso" reads as "Del Balso"
                if not " ".join(labels[target].split()).endswith(words):
                    wrong.append(f"{rel}: [{text}] cites the entry labelled [{labels[target]}]")
    assert not wrong, "citations that differ from their bibliography label:\n" + "\n".join(sorted(set(wrong))[:20])
    assert any(labels[t].endswith("a") for t in seen), "no a/b-labelled entry is cited: is the check broken?"


def test_bibliography_entries_link_back_to_their_citations(site):
    """Each entry ends with "Cited in: ..." linking every place that cites it; every link
    names an anchor that exists on the citing page (the browser test checks it loads)."""
    page = (site / "bibliography.html").read_text(encoding="utf-8")
    entries = re.split(r'(?=<div class="citation" id=)', page)[1:]
    assert entries, "no bibliography entries"
    problems = []
    for entry in entries:
        label = re.search(r'</span>([^<]*)<span class="fn-bracket">\]', entry)
        name = label.group(1) if label else entry[:60]
        back = re.search(r'<p class="cited-in">(.*?)</p>', entry, re.S)
        if not back:
            problems.append(f"{name}: no 'Cited in' line")
            continue
        for href in re.findall(r'href="([^"]+)"', back.group(1)):
            path, _, anchor = href.partition("#")
            target = site / path
            if not target.is_file() or f'id="{anchor}"' not in target.read_text(encoding="utf-8"):
                problems.append(f"{name}: back-link {href} leads nowhere")
    assert not problems, "\n".join(problems[:20])


def test_the_index_of_names_is_in_the_sidebar(site):
    """The last entry of the sidebar (Back matter) is the index of the API's names."""
    page = (site / _a_chapter(site)).read_text(encoding="utf-8")
    nav = page[page.index('bd-docs-nav'):]
    nav = nav[:nav.index("</nav>")]
    assert re.search(r'<a class="reference internal" href="(\.\./)?genindex\.html">Index</a>', nav), (
        "no link to the index (genindex.html) in the sidebar")
    index = (site / "genindex.html").read_text(encoding="utf-8")
    assert "api/network.html#" in index and "Network" in index, "the index lists no API names"


def test_api_signatures_show_no_private_parameters(site):
    private = {}
    for page in sorted((site / "api").glob("*.html")):
        names = re.findall(r'<em class="sig-param"><span class="n"><span class="pre">(_\w*)<',
                           page.read_text(encoding="utf-8"))
        if names:
            private[page.name] = sorted(set(names))
    assert not private, f"private parameters in the API's signatures: {private}"


def test_the_katex_stylesheet_is_the_renderers_release():
    """The formulas are written by the KaTeX inside sphinxcontrib-katex; they are drawn by the
    stylesheet and fonts in _extra/_static/katex.  Both must be one KaTeX release (a newer
    KaTeX's HTML under an older stylesheet is misdrawn), and every font it names is there."""
    katex = pytest.importorskip("sphinxcontrib.katex")
    folder = ROOT / "_extra" / "_static" / "katex"
    css = (folder / "katex.min.css").read_text(encoding="utf-8")
    assert f"KaTeX {katex.katex_version} " in css.splitlines()[0], (
        f"_extra/_static/katex is not KaTeX {katex.katex_version}, the release sphinxcontrib-katex "
        f"{katex.__version__} renders with: copy dist/katex.min.css and dist/fonts/*.woff2 of "
        "that npm release (and update the first line's note)")
    fonts = set(re.findall(r"url\((fonts/[^)]+)\)", css))
    assert fonts and all(f.endswith(".woff2") for f in fonts), sorted(fonts)[:5]
    missing = sorted(f for f in fonts if not (folder / f).is_file())
    assert not missing, f"fonts the KaTeX stylesheet names but the book does not ship: {missing}"
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "katex_prerender: true" in config and "html_math_renderer: katex" in config


def test_the_theme_script_loses_its_load_time_tab_stop_pass(tmp_path, caplog):
    """book_fixes fix 14 on the installed theme's own script: its one load-time call of the
    tab-stop pass is removed (the rest is left as it was), a second build leaves it alone, and
    a script where that call is not found is left as it is, with a warning."""
    import logging
    from types import SimpleNamespace

    theme = pytest.importorskip("pydata_sphinx_theme")
    book_fixes = _ext_module("book_fixes")
    original = (Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" /
                "scripts" / "pydata-sphinx-theme.js").read_text(encoding="utf-8")
    script = tmp_path / "_static" / "scripts" / "pydata-sphinx-theme.js"
    script.parent.mkdir(parents=True)
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    script.write_text(original, encoding="utf-8")
    book_fixes.theme_tab_stops_when_idle(app, None)
    patched = script.read_text(encoding="utf-8")
    call = book_fixes._THEME_TAB_STOPS_CALL.search(original)
    assert call and not book_fixes._THEME_TAB_STOPS_CALL.search(patched)
    assert patched == original[:call.start()] + book_fixes._THEME_TAB_STOPS_MOVED + original[call.end():]
    book_fixes.theme_tab_stops_when_idle(app, None)
    assert script.read_text(encoding="utf-8") == patched
    changed = original.replace("scrollWidth", "offsetWidth")     # another function, same call
    script.write_text(changed, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        book_fixes.theme_tab_stops_when_idle(app, None)
    assert script.read_text(encoding="utf-8") == changed
    assert "fix 14" in caplog.text, caplog.text


def test_favicon_and_logo_are_the_books_svgs(site):
    page = (site / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<link rel="icon" href="[^"]*_static/favicon\.svg"', page), "no SVG favicon"
    assert re.search(r'<img src="[^"]*_static/logo\.svg"', page), "no SVG logo"
    for name in ("favicon.svg", "logo.svg"):
        svg = (site / "_static" / name).read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<svg") and "</svg>" in svg, name


# --- the API reference covers the package (no browser needed) -----------------------------
def _modules() -> list[str]:
    return sorted(p.stem for p in (ROOT / "nnbook").glob("*.py") if not p.stem.startswith("_"))


def test_every_module_has_an_api_page():
    """api/<module>.md exists for every module of nnbook (the toc picks api/* up by glob)."""
    missing = [m for m in _modules() if not (ROOT / "api" / f"{m}.md").is_file()]
    assert not missing, (
        "modules without an API page: " + ", ".join(missing) + ".  Add api/<module>.md:\n"
        "# nnbook.<module>\n\n```{eval-rst}\n.. automodule:: nnbook.<module>\n```")
    for page in (ROOT / "api").glob("*.md"):
        assert f".. automodule:: nnbook.{page.stem}\n" in page.read_text(encoding="utf-8"), page
        assert page.stem in _modules(), f"{page} documents a module that does not exist"


def test_docstrings_are_raw_strings():
    """No docstring holds a control character: a LaTeX ``\\frac``/``\\text``/``\\beta`` in a
    docstring that is not a raw string (r\"\"\"...\"\"\") turns into a form feed, tab or backspace,
    and the API reference shows broken math."""
    import importlib
    import inspect

    bad = []
    for name in _modules():
        module = importlib.import_module(f"nnbook.{name}")
        objects = [module] + [obj for _, obj in inspect.getmembers(module)
                              if getattr(obj, "__module__", None) == module.__name__]
        for cls in [o for o in objects if inspect.isclass(o)]:
            objects += [m for _, m in inspect.getmembers(cls)
                        if getattr(m, "__module__", None) == module.__name__ and m is not cls]
        for obj in objects:
            doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else ""
            controls = sorted({repr(c) for c in doc if ord(c) < 32 and c != "\n"})
            if controls:
                label = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
                bad.append(f"nnbook.{name}.{label}: {', '.join(controls)}")
    assert not bad, (
        "docstrings with control characters, i.e. LaTeX backslashes lost to Python escapes "
        "(\\f in \\frac, \\t in \\text, \\a in \\arg, \\b in \\beta): write them as r-strings "
        "and check the source for literal tab/BEL/form-feed characters:\n"
        + "\n".join(sorted(set(bad))))


def test_every_chapter_installs_nnbook_when_missing():
    """"Open in Colab" runs a chapter where nnbook is not installed: each chapter's first code
    cell installs it from the repository of _config.yml when `import nnbook` fails, quietly,
    and is tagged remove-cell so the website does not show it (tools/apply_to_chapters.py
    writes it)."""
    import json

    repo = _repository_url()
    problems = []
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    for path in chapters:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        if not code:
            continue
        first = code[0]
        source = "".join(first["source"])
        missing = [what for what, ok in (
            ("the remove-cell tag", "remove-cell" in first.get("metadata", {}).get("tags", [])),
            ("try: import nnbook", re.search(r"^try:\s*\n\s+import nnbook\b", source, re.MULTILINE)),
            ("except ImportError", "except ImportError:" in source),
            ("a quiet %pip install", re.search(r"^\s+%pip install (--quiet|-q) ", source, re.MULTILINE)),
            (f"git+{repo}", f"git+{repo}\"" in source or f"git+{repo}.git\"" in source),
        ) if not ok]
        if missing:
            problems.append(f"{path.name}: its first code cell lacks {', '.join(missing)}")
    assert chapters, "no chapters"
    assert not problems, ("chapters that do not install nnbook on Colab "
                          "(run tools/apply_to_chapters.py):\n" + "\n".join(problems))
