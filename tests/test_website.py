"""The built website, checked in a real browser (headless Chromium driven by Playwright).

The site (``_build/html``, or the folder named by the environment variable ``NNBOOK_SITE``)
is served on 127.0.0.1 from a thread, and Chromium visits every page of it once (the pages
reachable by links from the first page):

* the page loads with no JavaScript error and no failed request;
* no request leaves 127.0.0.1 (the book works offline: MathJax is served from the site);
* every equation is typeset by MathJax (no raw ``$$`` or ``\\(`` left in the text, no TeX error);
* every image loads;
* every internal link and every ``#anchor`` it names exist.

Then: the search page finds "backpropagation"; an exercise's solution is hidden until its
toggle is clicked; each chapter's download button offers its notebook, its Colab, Binder and
edit buttons point at the repository named in ``_config.yml``, and its code cells have copy
buttons.  Screenshots of the forward-propagation chapter and of the search results go to
``<site>/../screenshots/`` (``_build/screenshots/`` by default) for a person to look at.

Needs Chromium (``/usr/bin/chromium``, or ``NNBOOK_CHROMIUM``); without it the browser tests
are skipped, except when ``CI`` is set.  Playwright never downloads a browser here.
Two checks at the end need no browser: every module of ``nnbook`` has an API page, and no
docstring lost a LaTeX backslash to a Python escape.
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


@pytest.fixture(scope="module")
def server(site: Path):
    """Serve the site on 127.0.0.1 at a free port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
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


class Recorder:
    """A browser context that records, per page, errors and every request that leaves 127.0.0.1.

    Requests to anywhere else are aborted, so the test never reaches the network and
    proves that the site needs none.
    """

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           service_workers="block")
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

    def open(self, url: str) -> Visit:
        self.visit = Visit(url)
        self.page.goto(url, wait_until="load")
        wait_for_mathjax(self.page)
        return self.visit

    def close(self):
        self.context.close()


def wait_for_mathjax(page) -> None:
    """Wait until MathJax (if the page loads it) has typeset the page and loaded its fonts."""
    page.evaluate("""async () => {
        const mj = window.MathJax;
        const done = (async () => {
            if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
            if (document.fonts) await document.fonts.ready;
        })().catch(() => null);   // a failure shows up as untypeset math, checked later
        await Promise.race([done, new Promise(r => setTimeout(r, 15000))]);
    }""")


# JavaScript run on each page: math, images and links of the page as the reader sees them.
INSPECT_PAGE = r"""async () => {
    const main = document.querySelector("main") || document.body;
    // 1. math: Sphinx wraps each equation in span.math / div.math; MathJax puts an
    //    mjx-container inside.  Raw TeX left anywhere in the prose is a failure too.
    const mathNodes = [...main.querySelectorAll("span.math, div.math")];
    const untypeset = mathNodes.filter(n => !n.querySelector("mjx-container"))
                               .map(n => n.textContent.trim().slice(0, 80));
    const texErrors = [...main.querySelectorAll("mjx-merror, [data-mjx-error]")]
                      .map(n => (n.getAttribute("data-mjx-error") || n.textContent).slice(0, 80));
    const skip = "pre, code, script, style, textarea, .highlight, .output, .cell_output, mjx-container, mjx-assistive-mml";
    const rawTex = [];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    const texPattern = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$]*?[\\^_{][^$]*?\$|\$[A-Za-z]\$/;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest(skip)) continue;
        const m = node.textContent.match(texPattern);
        if (m) rawTex.push(node.textContent.trim().slice(0, 100));
    }
    const mathjaxLoaded = !!(window.MathJax && window.MathJax.startup);
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
    return {math: {count: mathNodes.length, mathjaxLoaded, untypeset, texErrors, rawTex},
            brokenImages, links, buttons};
}"""


@pytest.fixture(scope="module")
def crawl(site: Path, server: str, browser) -> dict[str, Visit]:
    """Visit every content page once; return what was seen, keyed by page path."""
    recorder = Recorder(browser)
    visits = {}
    try:
        for rel in content_pages(site):
            visit = recorder.open(urljoin(server, rel))
            seen = recorder.page.evaluate(INSPECT_PAGE)
            visit.math, visit.broken_images, visit.links, visit.buttons = (
                seen["math"], seen["brokenImages"], seen["links"], seen["buttons"])
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
    """Nothing is fetched from outside 127.0.0.1: no CDN for MathJax, fonts or scripts."""
    problems = {p: v.outside_requests for p, v in crawl.items() if v.outside_requests}
    assert not problems, "requests that left 127.0.0.1:\n" + _report(problems)


def test_every_equation_is_typeset(crawl):
    problems = {}
    for page, visit in crawl.items():
        math = visit.math
        items = []
        if math["count"] and not math["mathjaxLoaded"]:
            items.append(f"{math['count']} equations but MathJax was not loaded")
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
    for url, pages in sorted(targets.items()):
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
    finally:
        recorder.close()
    assert count >= 1, "no search results for 'backpropagation'"
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
