"""A local Sphinx extension with the book's fixes to its toolchain (listed in _config.yml).

1. Inline scripts added by extensions after the builder starts (sphinx-thebe's
   ``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector) are written twice into every
   page by Sphinx 7.4: ``prepare_writing`` re-adds ``app.registry.js_files`` as ``''`` where
   they were first added as ``None``, so its de-duplication misses them.  The second
   ``const`` declaration is a JavaScript error on every page (the browser test catches it).
   Here each page's script list keeps the first of any identical scripts.

2. The house style ends every docstring with a ``Shapes: ...`` / ``Chapter: *...*`` paragraph
   (CONVENTIONS.md).  Placed after a numpydoc section (``Returns``), napoleon would read it as
   one more return value and render ``*...*`` as broken markup.  Before napoleon runs, such
   paragraphs are moved up, in front of the first section, where they read as text, and the
   chapter titles they name (``Chapter: *Backpropagation*``) become links to those chapters
   (the title is matched against each built chapter's ``# Title``; one that matches none
   stays as it is).

3. Matplotlib's JavaScript animation player (``anim.to_jshtml()``, ``nnbook.plotting.to_html``)
   links Font Awesome 4 from a CDN for its button icons.  The book must work offline, and
   the theme already ships Font Awesome (its CSS draws ``<i class="fa fa-play">`` too), so
   that ``<link>`` is removed from the HTML outputs of the notebooks; the player's frame
   ``<img>`` gets alt text.

4. BibTeX titles write math the LaTeX way, ``{$O(1/k^2)$}``; pybtex passes it on as text, so
   the bibliography would show raw dollars.  In the bibliography's entries, ``$...$`` becomes
   inline math, which KaTeX renders like any other equation.

5. One icon library, not two.  pydata-sphinx-theme links its icon font (Font Awesome 6, CSS
   and webfonts, ~150 KB used) and also ``fontawesome.js`` (1.5 MB), which redraws the same
   ``<i class="fa-...">`` icons as SVG.  The fonts alone draw every icon the book uses (the
   theme's and the animation player's), so the script tag is removed from every written page.
   Likewise pydata-sphinx-theme 0.17 loads Sphinx's search tools and the whole search index
   (200 KB, growing with the book) on every page, for its "search as you type", which is off
   (the theme's default): they are removed from every page but the search page itself.

6. Figures get real alt text.  A notebook figure whose cell gives no ``image: alt:`` would get
   its file path as alt text from Sphinx; it gets its caption instead (a figure without a
   caption gets "Figure").

7. Accessible names.  myst-nb's code toggles say "Toggle hidden content" to a screen reader
   (an ``aria-label`` that hides the visible "Show code cell source"); the label is dropped so
   the visible text names the toggle.  The sidebar's section expanders have no name at all;
   each is named after its chapter.

8. The book's version (``nnbook.__version__`` and, where the source is a git checkout, its
   commit) and links to the changelog and to the PDF of the book are added to every page's
   footer.

10. The bibliography's labels are the citations' own words.  The text cites author-year
    (``bibtex_reference_style: author_year``: "[Nielsen, 2015]") but pybtex's default style
    labelled the entries alphabetically ("[Nie15]"), so a reader could not match the two.
    The style ``nnbook`` (``bibtex_default_style`` in _config.yml) is pybtex's ``alpha`` with
    author-year labels: "Nielsen, 2015", "Baldi and Sadowski, 2013", "Rumelhart et al.,
    1986", with a, b, ... where two entries would share one.  The citations in the text say
    the same year: sphinxcontrib-bibtex's author-year references print the entry's ``year``
    field ("LeCun et al., 1998" for both of LeCun's 1998 papers), so its ``year`` node is
    replaced by one that reads the year, suffix included, off the entry's label ("1998a").
    And each entry ends with links back to where the book cites it ("Cited in: 2. The
    perceptron; 5. Backpropagation (1, 2)"), made from the places sphinxcontrib-bibtex
    records for every citation (the website only: the single page of the PDF has no
    page-unique anchors to point at).

11. Signatures in the API reference leave out private parameters (``_parents``, ``_op``:
    a name starting with an underscore is the package's own business, not the reader's).

9. The single-page build (``tasks.py pdf``).  Sphinx looks up the HTML writer's handlers
   for extension nodes under the builder's name, and falls back to "html" only when no
   extension registered any under that name.  sphinx-exercise registers its nodes for
   "singlehtml", so myst-nb's (registered for "html" only) went missing and the build
   stopped at its first hidden code cell.  The "html" handlers fill in what "singlehtml" lacks.

12. Math is rendered when the site is built, not on the reader's device.  MathJax, even
    typesetting lazily, was still typesetting a chapter's 200-400 formulas 5 s after load
    with the CPU slowed 4x (a phone); now a page is complete once it is laid out (2-2.5 s).
    sphinxcontrib-katex (``katex_prerender: true`` in _config.yml) has
    KaTeX write each formula as HTML, with MathML beside it for screen readers, while Sphinx
    writes the page: a page needs KaTeX's stylesheet and fonts and no script.  Two settings
    are made here, where the extension offers no option for them: a formula KaTeX cannot
    parse stops the build with KaTeX's message (``throwOnError``; the extension's default
    would print it in red on the site), and so does TeX that KaTeX only accepts with a
    warning (``strict``).  And a display equation reaches KaTeX as Sphinx's MathJax writer
    would have passed it on: lines broken by ``\\`` are wrapped in ``split`` (so ``&``
    aligns them), and equations separated by a blank line are stacked in ``aligned``.
    Rendering at build time runs KaTeX in Node.js; on a machine
    without ``node`` the formulas are rendered by the same KaTeX in the browser instead,
    and the build says so.

13. The index of names (Sphinx's ``genindex``: every function, class and method of the API
    reference) is in the sidebar, as the last entry of the Back matter.  sphinx-external-toc
    accepts only files and full URLs in _toc.yml, though Sphinx's toctree knows ``genindex``
    as a page it generates; the entry is added to that toctree after sphinx-external-toc has
    made it, before Sphinx reads the tree.

14. No freeze when a page has loaded.  pydata-sphinx-theme 0.17 makes every code block and
    output that scrolls sideways a Tab stop (so a keyboard can scroll it) by reading each
    one's ``scrollWidth`` in the ``load`` event.  That forces the browser to lay out the whole
    page at once, formulas included, which the book's stylesheet otherwise leaves until each
    block nears the screen (``content-visibility``): a 0.6-0.8 s task with the CPU slowed 4x
    (a phone), the longest the page has.  The theme's call is removed from its script when
    the site is written, and _static/book.js does the same check a few elements at a time
    while the browser is idle (and again after a resize), so no task is long.  The theme is
    pinned (requirements.txt); if a release changes that script, the build warns (and the
    strict build stops) rather than ship it unpatched.
"""
from __future__ import annotations

import re

_CDN_FONT_AWESOME = re.compile(
    r'<link\s+rel="stylesheet"\s+href="https?://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*"\s*/?>')
_DOLLAR_MATH = re.compile(r"(?<!\\)\$([^$]+?)(?<!\\)\$")
_SECTION_RULE = re.compile(r"^\s*-{3,}\s*$")
_HOUSE_PARAGRAPH = re.compile(r"^(Shapes|Shape|Chapters?)\s*:")


def _script_key(js) -> tuple:
    filename = getattr(js, "filename", js) or ""
    attributes = getattr(js, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique      # the builder restores its own list after each page


def _first_section(lines: list[str]) -> int | None:
    """Index of the first numpydoc section header (a line underlined with dashes)."""
    for i in range(len(lines) - 1):
        if lines[i].strip() and not lines[i][0].isspace() and _SECTION_RULE.match(lines[i + 1]):
            return i
    return None


def _norm_title(title: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", title.lower()).strip()


def _chapter_labels(app) -> dict[str, str]:
    """{normalized title: label} of every chapter notebook that this build reads."""
    if not hasattr(app, "_nnbook_chapter_labels"):
        import json
        from pathlib import Path

        labels = {}
        for path in sorted((Path(app.srcdir) / "chapters").glob("*.ipynb")):
            if f"chapters/{path.stem}" not in app.env.found_docs:
                continue
            try:
                cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
                first = next("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
            except (ValueError, KeyError, StopIteration):
                continue
            match = re.match(r"\s*\(([\w-]+)\)=\s*\n#\s+(.+)", first)
            if match:
                labels[_norm_title(match.group(2))] = match.group(1)
        app._nnbook_chapter_labels = labels
    return app._nnbook_chapter_labels


def _link_chapters(app, lines: list[str]) -> None:
    labels = _chapter_labels(app)

    def link(match):
        label = labels.get(_norm_title(match.group(1)))
        return f":ref:`{match.group(1)} <{label}>`" if label else match.group(0)

    inside = False
    for i, line in enumerate(lines):
        if re.search(r"\bChapters?\s*:", line):
            inside = True
        elif not line.strip():
            inside = False
        if inside:
            head, sep, tail = line.partition("Chapter") if "Chapter" in line else ("", "", line)
            lines[i] = head + sep + re.sub(r"(?<![*\w])\*([^*`]+)\*(?![*\w])", link, tail)


def hoist_house_paragraphs(app, what, name, obj, options, lines: list[str]) -> None:
    """Move ``Shapes:``/``Chapter:`` paragraphs that follow a numpydoc section before it,
    and link the chapters they name."""
    _link_chapters(app, lines)
    first = _first_section(lines)
    if first is None:
        return
    moved, i = [], first
    while i < len(lines):
        if _HOUSE_PARAGRAPH.match(lines[i]):
            end = i
            while end < len(lines) and lines[end].strip() and not (
                    end + 1 < len(lines) and _SECTION_RULE.match(lines[end + 1])):
                end += 1
            moved += lines[i:end] + [""]
            del lines[i:end]
        else:
            i += 1
    if moved:
        lines[first:first] = moved


def drop_cdn_font_awesome(app, doctree, docname) -> None:
    from docutils import nodes

    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        text = node.astext()
        cleaned = _CDN_FONT_AWESOME.sub("", text)
        # matplotlib's player shows its frames in an <img> with no alt text (see 6 above)
        cleaned = cleaned.replace(
            '<img id="_anim_img', '<img alt="An animation; the buttons below it play it, '
            'step through it and stop it" id="_anim_img')
        if cleaned != text:
            node.replace_self(nodes.raw(cleaned, cleaned, format=node["format"],
                                        classes=node.get("classes", [])))


def math_in_citations(app, doctree, docname) -> None:
    from docutils import nodes

    found = False
    for citation in list(doctree.findall(nodes.citation)):
        for text in list(citation.findall(nodes.Text)):
            source = str(text)
            if "$" not in source or isinstance(text.parent, (nodes.literal, nodes.math)):
                continue
            pieces, last = [], 0
            for match in _DOLLAR_MATH.finditer(source):
                pieces.append(nodes.Text(source[last:match.start()]))
                pieces.append(nodes.math(match.group(0), match.group(1)))
                last = match.end()
            if not pieces:
                continue
            pieces.append(nodes.Text(source[last:]))
            parent = text.parent
            index = parent.index(text)
            parent[index:index + 1] = [p for p in pieces if not isinstance(p, nodes.Text) or str(p)]
            found = True
    if found:
        # Sphinx may load the math renderer's files only on pages it saw equations on while reading.
        app.env.get_domain("math").data["has_equations"][docname] = True


_FONTAWESOME_JS = re.compile(r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
_SEARCH_SCRIPTS = re.compile(
    r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>')
_CODE_TOGGLE_LABEL = re.compile(r'<summary aria-label="Toggle hidden content">')
_NAV_EXPANDER = re.compile(
    r'(<a class="[^"]*reference internal[^"]*" href="[^"]*">([^<]*)</a>\s*<details(?: open="open")?>\s*<summary)>'
    r'(\s*<span class="toctree-toggle")')


def _rewrite_page(html: str, search_page: bool, search_as_you_type: bool) -> str:
    html = _FONTAWESOME_JS.sub("", html)
    if not search_page and not search_as_you_type:
        html = _SEARCH_SCRIPTS.sub("", html)
    html = _CODE_TOGGLE_LABEL.sub("<summary>", html)
    html = _NAV_EXPANDER.sub(
        lambda m: f'{m.group(1)} aria-label="Sections of {m.group(2).strip()}">{m.group(3)}', html)
    return html


def rewrite_written_pages(app, exception) -> None:
    """Apply _rewrite_page to every HTML page the builder wrote (idempotent)."""
    if exception is not None or app.builder.format != "html":
        return
    from pathlib import Path

    theme = getattr(app.builder, "theme", None)
    options = theme.get_options(app.builder.theme_options) if theme is not None else {}
    as_you_type = str(options.get("search_as_you_type", False)).lower() == "true"
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        new = _rewrite_page(text, path.name == "search.html" and path.parent == Path(app.outdir),
                            as_you_type)
        if new != text:
            path.write_text(new, encoding="utf-8")


# fix 14: the theme's one call of its tab-stop function (addTabStopsToScrollableElements,
# minified as a one-letter name), in pydata-sphinx-theme 0.17.1's built script
_THEME_TAB_STOPS_CALL = re.compile(
    r'"complete"===document\.readyState\?(\w+)\(\):window\.addEventListener\("load",\1\)')
_THEME_TAB_STOPS_MOVED = ("void 0/* nnbook (_ext/book_fixes.py, fix 14): the theme's tab "
                          "stops are set by _static/book.js */")


def theme_tab_stops_when_idle(app, exception) -> None:
    """Fix 14: remove the theme's load-time tab-stop pass (book.js does it when idle)."""
    if exception is not None or app.builder.format != "html":
        return
    from pathlib import Path
    from sphinx.util import logging

    script = Path(app.outdir) / "_static" / "scripts" / "pydata-sphinx-theme.js"
    if not script.exists():
        return
    text = script.read_text(encoding="utf-8")
    if "book_fixes.py, fix 14" in text:           # patched by an earlier build
        return
    calls = list(_THEME_TAB_STOPS_CALL.finditer(text))
    body = None
    if len(calls) == 1:      # and the function it calls is the tab-stop pass, not another one
        body = re.search(r"function %s\(\)\{(.{0,400})" % re.escape(calls[0].group(1)), text,
                         re.S)
    if body is None or "scrollWidth" not in body.group(1) or "tabIndex" not in body.group(1):
        logging.getLogger(__name__).warning(
            "book_fixes (fix 14): the theme's tab-stop call was not found once in %s "
            "(%d calls of that form); a different pydata-sphinx-theme than the pinned one?  "
            "Each page then forces a full layout when it loads.", script, len(calls))
        return
    script.write_text(text[:calls[0].start()] + _THEME_TAB_STOPS_MOVED + text[calls[0].end():],
                      encoding="utf-8")


def figure_alt_text(app, doctree, docname) -> None:
    from docutils import nodes

    for image in doctree.findall(nodes.image):
        alt = image.get("alt", "")
        if alt and alt != image.get("uri") and not alt.endswith((".png", ".svg", ".gif", ".jpg")):
            continue
        figure = image.parent
        while figure is not None and not isinstance(figure, nodes.figure):
            figure = figure.parent
        caption = None
        if figure is not None:
            caption = next(iter(figure.findall(nodes.caption)), None)
        text = " ".join(caption.astext().split()) if caption is not None else ""
        image["alt"] = text or "Figure"


def _book_version() -> str:
    import subprocess
    from pathlib import Path

    try:
        import nnbook
        version = f"nnbook {nnbook.__version__}"
    except ImportError:  # pragma: no cover - the book is always built with nnbook installed
        version = "nnbook (not importable)"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10, cwd=Path(__file__).resolve().parents[1])
        if commit.returncode == 0 and commit.stdout.strip():
            version += f", book at commit {commit.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return version


def footer_version(app, pagename, templatename, context, doctree) -> None:
    pathto = context.get("pathto")
    if pathto is None or "theme_extra_footer" not in context:
        return
    if not hasattr(app, "_nnbook_version"):
        app._nnbook_version = _book_version()
    links = []
    if "changelog" in app.env.all_docs:
        links.append(f'<a href="{pathto("changelog")}">changelog</a>')
    links.append(f'<a class="book-pdf-link" href="{pathto("nnbook.pdf", 1)}">the whole book as a PDF</a>')
    line = (f'<p class="book-version">This is {app._nnbook_version}; '
            + " · ".join(links) + ".</p>")
    context["theme_extra_footer"] = (context.get("theme_extra_footer") or "") + line


def singlehtml_handlers(app) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, pair in handlers.get("html", {}).items():
        single.setdefault(node, pair)


def _register_bibliography_style() -> None:
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.alpha import Style as AlphaStyle
    from pybtex.style.labels import BaseLabelStyle

    def surname(person) -> str:
        text = " ".join(person.prelast_names + person.last_names)
        text = re.sub(r"\\[a-zA-Z]+\s*|\\.", "", text)          # LaTeX accents, commands
        return re.sub(r"[{}]", "", text).strip()

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = []
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                names = [surname(p) for p in people]
                if not names:
                    who = re.sub(r"[{}]", "", entry.fields.get("organization", entry.key))
                elif len(names) == 1:
                    who = names[0]
                elif len(names) == 2:
                    who = f"{names[0]} and {names[1]}"
                else:
                    who = f"{names[0]} et al."
                labels.append(f"{who}, {entry.fields.get('year', 'n.d.')}")
            counts = {label: labels.count(label) for label in labels}
            seen: dict[str, int] = {}
            for label in labels:
                if counts[label] > 1:
                    seen[label] = seen.get(label, 0) + 1
                    yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
                else:
                    yield label

    class BookStyle(AlphaStyle):
        default_label_style = "nnbook_author_year"

    register_plugin("pybtex.style.labels", "nnbook_author_year", AuthorYearLabels, force=True)
    register_plugin("pybtex.style.formatting", "nnbook", BookStyle, force=True)

    # The year of an author-year citation, as its entry's label has it ("1998a").
    from pybtex.richtext import Text
    from pybtex.style.template import node
    from sphinxcontrib.bibtex.style.referencing import basic_author_year, extra_year

    library_year = basic_author_year.year

    @node
    def labelled_year(children, data):
        match = re.search(r"(\d{4}|n\.d\.)[a-z]?$", data["formatted_entry"].label or "")
        return Text(match.group(0)) if match else library_year.format_data(data)

    basic_author_year.year = extra_year.year = labelled_year


def _index_in_sidebar_transform():
    from sphinx import addnodes
    from sphinx.transforms import SphinxTransform

    class IndexInSidebar(SphinxTransform):
        """Fix 13: ("Index", "genindex") ends the root document's last toctree."""

        default_priority = 101          # just after sphinx-external-toc's InsertToctrees (100)

        def apply(self, **kwargs) -> None:
            if self.env.docname != self.config.root_doc:
                return
            toctrees = list(self.document.findall(addnodes.toctree))
            if toctrees and ("Index", "genindex") not in toctrees[-1]["entries"]:
                toctrees[-1]["entries"].append(("Index", "genindex"))

    return IndexInSidebar


def _toc_order(env) -> list[str]:
    """Every document in the order of the table of contents (depth first from the root)."""
    order, stack = [], [env.config.root_doc]
    while stack:
        doc = stack.pop()
        if doc not in order:
            order.append(doc)
            stack.extend(reversed(env.toctree_includes.get(doc, [])))
    return order


def bibliography_backlinks(app, doctree, docname) -> None:
    """Fix 10: "Cited in: ..." under each bibliography entry, linking to every citation of it."""
    if app.builder.name != "html":
        return
    from docutils import nodes

    domain = app.env.get_domain("cite")
    keys = {c.citation_id: c.key for c in domain.citations if c.bibliography_key.docname == docname}
    if not keys:
        return
    order = {doc: i for i, doc in enumerate(_toc_order(app.env))}
    places: dict[str, list] = {}
    for ref in sorted(domain.citation_refs, key=lambda r: (order.get(r.docname, len(order)), r.line or 0)):
        for target in ref.targets:
            places.setdefault(target.key, []).append(ref)

    def link(ref, text):
        uri = app.builder.get_relative_uri(docname, ref.docname) + "#" + ref.citation_ref_id
        return nodes.reference("", text, internal=True, refuri=uri)

    for citation in doctree.findall(nodes.citation):
        refs = places.get(keys.get(citation["ids"][0] if citation["ids"] else "", ""), [])
        if not refs:
            continue
        by_doc: dict[str, list] = {}
        for ref in refs:
            by_doc.setdefault(ref.docname, []).append(ref)
        line = nodes.paragraph("", "Cited in: ", classes=["cited-in"])
        for i, (doc, doc_refs) in enumerate(by_doc.items()):
            if i:
                line += nodes.Text("; ")
            number = app.env.toc_secnumbers.get(doc, {}).get("")
            title = app.env.titles[doc].astext() if doc in app.env.titles else doc
            line += link(doc_refs[0], (".".join(map(str, number)) + ". " if number else "") + title)
            if len(doc_refs) > 1:
                line += nodes.Text(" (")
                for j, ref in enumerate(doc_refs):
                    if j:
                        line += nodes.Text(", ")
                    line += link(ref, str(j + 1))
                line += nodes.Text(")")
        citation += line


def _split_parameters(text: str) -> list[str]:
    """Top-level comma-separated pieces of a signature's parameter list."""
    pieces, depth, start = [], 0, 0
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        pieces.append(text[start:].strip())
    return pieces


def drop_private_parameters(app, what, name, obj, options, signature, return_annotation):
    if not signature or "_" not in signature:
        return None
    inner = signature.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        return None
    kept = [p for p in _split_parameters(inner[1:-1]) if not p.lstrip("*").startswith("_")]
    while kept and kept[-1] in ("*", "/"):          # a bare * or / left with nothing after it
        kept.pop()
    new = "(" + ", ".join(kept) + ")"
    return (new, return_annotation) if new != signature else None


def _display_latex_as_sphinx_wraps_it(node) -> str:
    r"""The TeX of a math node, a display equation wrapped as ``sphinx.ext.mathjax`` does:
    each blank-line-separated part with a ``\\`` in ``split``, several parts in ``aligned``
    (Sphinx's ``align`` around it is left out: KaTeX would number it a second time)."""
    from docutils import nodes

    text = node.astext()
    if not isinstance(node, nodes.math_block) or node.get("nowrap"):
        return text
    parts = [part for part in text.split("\n\n") if part.strip()]
    parts = [rf"\begin{{split}}{part}\end{{split}}" if r"\\" in part else part for part in parts]
    if len(parts) == 1:
        return parts[0]
    return r"\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}"


def katex_settings(app, config) -> None:
    """Fix 12: KaTeX errors stop the build; without Node.js, render in the browser."""
    import shutil

    try:
        import sphinxcontrib.katex as katex
    except ImportError:          # the extension is not in this build (it is in _config.yml)
        return
    katex.KATEX_DEFAULT_OPTIONS.update({"throwOnError": True, "strict": "error"})
    katex.get_latex = _display_latex_as_sphinx_wraps_it
    if config.katex_prerender and shutil.which(katex.NODEJS_BINARY) is None:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "book_fixes: no Node.js (`node`) on this machine, so the formulas are rendered "
            "by KaTeX in the reader's browser, not at build time (install nodejs to prerender)")
        config.katex_prerender = False


def setup(app):
    _register_bibliography_style()
    app.connect("autodoc-process-signature", drop_private_parameters)
    app.connect("doctree-resolved", math_in_citations)
    app.connect("doctree-resolved", drop_cdn_font_awesome)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("autodoc-process-docstring", hoist_house_paragraphs, priority=400)
    app.connect("doctree-resolved", figure_alt_text)
    app.connect("html-page-context", footer_version)
    app.connect("build-finished", rewrite_written_pages)
    app.connect("build-finished", theme_tab_stops_when_idle)
    app.connect("builder-inited", singlehtml_handlers)
    app.connect("config-inited", katex_settings)
    app.connect("doctree-resolved", bibliography_backlinks)
    app.add_transform(_index_in_sidebar_transform())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
