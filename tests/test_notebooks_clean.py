"""Every chapter notebook is valid nbformat and committed without outputs or execution counts.

The website build executes the notebooks; committed outputs would only bloat the history and
go stale.  To strip a notebook::

    .venv/bin/jupyter nbconvert --clear-output --inplace chapters/<name>.ipynb
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(
    p for p in CHAPTERS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
) if CHAPTERS.is_dir() else []
HOW_TO_STRIP = "strip it with: .venv/bin/jupyter nbconvert --clear-output --inplace {path}"


def test_chapters_directory_exists():
    assert CHAPTERS.is_dir(), f"the chapter notebooks live in {CHAPTERS}, which is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_notebook_is_valid_and_clean(path):
    rel = path.relative_to(ROOT)
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4, f"{rel}: nbformat {nb.nbformat}, expected 4"
    nbformat.validate(nb)  # raises nbformat.ValidationError with the offending field
    dirty = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            dirty.append(f"cell {i}: {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            dirty.append(f"cell {i}: execution_count {cell.execution_count}")
    assert not dirty, (f"{rel} is committed with outputs ({'; '.join(dirty[:5])}"
                       f"{'; ...' if len(dirty) > 5 else ''}): "
                       + HOW_TO_STRIP.format(path=rel))
