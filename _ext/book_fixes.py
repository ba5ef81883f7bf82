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
   paragraphs are moved up, in front of the first section, where they read as text.

3. Matplotlib's JavaScript animation player (``anim.to_jshtml()``, ``nnbook.plotting.to_html``)
   links Font Awesome 4 from a CDN for its button icons.  The book must work offline, and
   the theme already ships Font Awesome (its script draws ``<i class="fa fa-play">`` too),
   so that ``<link>`` is removed from the HTML outputs of the notebooks.

4. BibTeX titles write math the LaTeX way, ``{$O(1/k^2)$}``; pybtex passes it on as text, so
   the bibliography would show raw dollars.  In the bibliography's entries, ``$...$`` becomes
   inline math, which MathJax typesets like any other equation.
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


def hoist_house_paragraphs(app, what, name, obj, options, lines: list[str]) -> None:
    """Move ``Shapes:``/``Chapter:`` paragraphs that follow a numpydoc section before it."""
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
        # Sphinx loads MathJax only on pages it saw equations on while reading.
        app.env.get_domain("math").data["has_equations"][docname] = True


def setup(app):
    app.connect("doctree-resolved", math_in_citations)
    app.connect("doctree-resolved", drop_cdn_font_awesome)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("autodoc-process-docstring", hoist_house_paragraphs, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
