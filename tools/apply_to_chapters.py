#!/usr/bin/env python3
"""Fixes of issue 12 that live inside the chapter notebooks.  Idempotent: run it again and
nothing changes.  Run from the repository root, after the chapter authors have finished:

    .venv/bin/python tools/apply_to_chapters.py            # every chapters/*.ipynb
    .venv/bin/python tools/apply_to_chapters.py --check    # report only, exit 1 if a change is due
    .venv/bin/python tools/apply_to_chapters.py chapters/perceptron.ipynb ...

What it does to each notebook (outputs are never touched; the files stay as json.dump(...,
indent=1, ensure_ascii=False) plus a newline, as they are committed):

1. **Colab install cell.**  Before the first code cell, a cell tagged ``remove-cell`` (the
   website does not show it; Colab, Binder and a local Jupyter run it) that installs nnbook
   from the repository named in ``_config.yml`` when ``import nnbook`` fails.  If the cell is
   already there (found by its first line), its text is brought up to date.
   tests/test_website.py::test_every_chapter_installs_nnbook_when_missing checks it.

2. **Everything of a solution inside it, one click.**
   a. Code cells between ``{solution-start}`` and ``{solution-end}`` lose a ``hide-input`` tag
      (the dropdown already hides them: a second "show code" toggle is one click too many).
   b. A markdown cell that ENDS with a dropdown ``{solution}`` directive and is followed by
      code cells (the check cells, which then printed outside the closed dropdown) is turned
      into the gated form: the directive becomes ``{solution-start}`` (options kept), the code
      cells up to the next markdown cell move inside (their ``hide-input`` tag dropped), and a
      ``{solution-end}`` cell follows them.
   Cases it cannot decide (a code cell with output in the Exercises section that follows no
   solution, e.g. a check cell after an exercise that has no solution, or a timing cell) are
   printed for a person to fix; tests/test_website.py::test_everything_of_a_solution_is_inside_it
   names them too.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path.cwd()
MARKER = "# Colab, Binder or a Jupyter without nnbook: install the book's package"


def repository_url() -> str:
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    block = re.search(r"^repository:\s*\n((?:[ \t]+.*\n?)+)", text, re.MULTILINE)
    url = re.search(r"^\s+url:\s*(\S+)", block.group(1), re.MULTILINE) if block else None
    if not url:
        sys.exit("no repository: url: in _config.yml")
    return url.group(1).strip("'\"").rstrip("/")


def install_source(url: str) -> list[str]:
    text = (f"{MARKER}\n"
            "# (the website hides this cell: it is tagged remove-cell).\n"
            "try:\n"
            "    import nnbook  # noqa: F401\n"
            "except ImportError:\n"
            f'    %pip install --quiet "nnbook[plot,data] @ git+{url}"')
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _as_source(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _drop_tag(cell, tag: str) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    if tag in tags:
        tags.remove(tag)
        if not tags:
            del cell["metadata"]["tags"]
        return True
    return False


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": _as_source(text)}


def fix_install_cell(cells: list, url: str, notes: list[str]) -> bool:
    source = install_source(url)
    for cell in cells:
        if cell["cell_type"] == "code" and _src(cell).startswith(MARKER):
            changed = cell["source"] != source or "remove-cell" not in cell.get("metadata", {}).get("tags", [])
            cell["source"] = source
            cell.setdefault("metadata", {}).setdefault("tags", [])
            if "remove-cell" not in cell["metadata"]["tags"]:
                cell["metadata"]["tags"].append("remove-cell")
            if changed:
                notes.append("updated the install cell")
            return changed
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(first_code, {"cell_type": "code", "execution_count": None,
                              "metadata": {"tags": ["remove-cell"]}, "outputs": [],
                              "source": source})
    notes.append("added the install cell")
    return True


def fix_cell_ids(nb: dict, notes: list[str]) -> bool:
    """Give every cell that lacks one an ``id`` (nbformat 4.5 requires them); kept once given."""
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        return False
    taken = {c["id"] for c in nb["cells"] if "id" in c}
    added = 0
    for k, cell in enumerate(nb["cells"]):
        if "id" not in cell:
            base = "install-nnbook" if _src(cell).startswith(MARKER) else f"cell-{k}"
            new, n = base, 1
            while new in taken:
                new, n = f"{base}-{n}", n + 1
            cell["id"] = new
            taken.add(new)
            added += 1
    if added:
        notes.append(f"gave {added} cell(s) an id")
    return bool(added)


_SOLUTION_AT_END = re.compile(
    r"(?ms)^(?P<fence>:{3,}|`{3,})\{solution\}[ \t]*(?P<label>\S*)[ \t]*\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)(?P<body>.*?)\n?(?P=fence)[ \t]*\s*\Z")


def _inside_after(markdown: str, inside: bool) -> bool:
    """Whether the cells after this markdown cell are inside a gated solution (a cell may
    close one solution and open the next: the last marker decides)."""
    start, end = markdown.rfind("{solution-start}"), markdown.rfind("{solution-end}")
    if start < 0 and end < 0:
        return inside
    return start > end


def fix_solutions(cells: list, notes: list[str]) -> bool:
    changed = False
    # b. a trailing {solution} directive followed by code cells -> the gated form
    i = 0
    while i < len(cells):
        cell = cells[i]
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        if cell["cell_type"] == "markdown" and nxt is not None and nxt["cell_type"] == "code":
            m = _SOLUTION_AT_END.search(_src(cell))
            if m and "dropdown" in m.group("options"):
                before = _src(cell)[: m.start()].rstrip()
                start = (f"```{{solution-start}} {m.group('label')}\n{m.group('options')}```\n\n"
                         f"{m.group('body').strip()}")
                new_cells = ([_markdown(before)] if before else []) + [_markdown(start)]
                cells[i:i + 1] = new_cells
                j = i + len(new_cells)
                while j < len(cells) and cells[j]["cell_type"] == "code":
                    j += 1
                cells.insert(j, _markdown("```{solution-end}\n```"))
                notes.append(f"solution {m.group('label')}: gated form, {j - i - len(new_cells)} check cell(s) inside")
                changed = True
                i = j
        i += 1
    # a. no second toggle inside a gated solution
    inside = False
    for cell in cells:
        text = _src(cell)
        if cell["cell_type"] == "markdown":
            inside = _inside_after(text, inside)
        elif inside and _drop_tag(cell, "hide-input"):
            notes.append("a solution's code cell: hide-input tag dropped")
            changed = True
    # what a person must look at: code cells in Exercises that are in no solution
    in_exercises, inside = False, False
    for cell in cells:
        text = _src(cell)
        if cell["cell_type"] == "markdown":
            headings = re.findall(r"^#{1,3} (.*)$", text, re.MULTILINE)
            if headings:
                in_exercises = headings[-1].strip().startswith("Exercises")
            inside = _inside_after(text, inside)
        elif in_exercises and not inside and "remove-cell" not in cell.get("metadata", {}).get("tags", []):
            first = text.strip().splitlines()[0][:70] if text.strip() else "(empty)"
            notes.append(f"TO FIX BY HAND: a code cell in Exercises outside any solution: {first}")
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or sorted((ROOT / "chapters").glob("*.ipynb"))
    url = repository_url()
    due = False
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        nb = json.loads(raw)
        notes: list[str] = []
        changed = fix_install_cell(nb["cells"], url, notes)
        changed = fix_solutions(nb["cells"], notes) or changed
        changed = fix_cell_ids(nb, notes) or changed
        for note in notes:
            print(f"{path}: {note}")
        if changed:
            due = True
            if not check:
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if check and due:
        print("changes are due: run without --check")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
