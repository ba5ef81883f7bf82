"""The assignments for instructors (assignments/, issue 14), built and graded end to end with
otter-grader: the student versions hold no solutions and no hidden tests, the reference
solutions earn full marks, buggy submissions earn the expected partial score on each question
with a hint that names the bug, and a hanging, a crashing, an exiting and a cheating submission
are contained."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("otter", reason="the assignments need otter-grader (nnbook[assignments])")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments"
HW1, HW2 = "hw1_backprop", "hw2_training"


def run_script(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(workdir / "grade.py"), *args], cwd=workdir,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of assignments/ with both assignments built by `grade.py build`."""
    work = tmp_path_factory.mktemp("assignments")
    for f in SOURCE.iterdir():
        if f.suffix in (".ipynb", ".py"):
            shutil.copy(f, work / f.name)
    proc = run_script(work, "build", "--no-run-tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work


def reference(work: Path, name: str):
    return nbformat.read(next((work / "dist" / name / "autograder").glob("*.ipynb")), 4)


def variant(work: Path, name: str, edits: list[tuple[str, str]]):
    """The reference solution of ``name`` with each (old, new) replaced once in the code cells."""
    nb = reference(work, name)
    for old, new in edits:
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(hits) == 1, f"{old!r} found in {len(hits)} cells"
        hits[0].source = hits[0].source.replace(old, new, 1)
    return nb


def grade(work: Path, name: str, subs: dict, *extra: str) -> tuple[dict, Path]:
    folder = work / f"subs-{name}-{len(list(work.glob('subs-*')))}"
    folder.mkdir()
    for stem, nb in subs.items():
        nbformat.write(nb, folder / f"{stem}.ipynb")
    proc = run_script(work, "grade", name, str(folder), *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(folder / "graded" / "grades.csv") as f:
        rows = {r["submission"].removesuffix(".ipynb"): r for r in csv.DictReader(f)}
    return rows, folder / "graded"


def scores(row: dict) -> dict:
    return {k: float(v) for k, v in row.items() if k.startswith("q")}


# --- the student versions ------------------------------------------------------------------------
@pytest.mark.parametrize("name, solution_lines", [
    (HW1, ["np.maximum(z, 0.0)", "E.sum(axis=0, keepdims=True)", "dZ @ A_prev.T",
           "np.log(np.exp(Zs)"]),
    (HW2, ["beta * state.get", "np.sqrt(v_hat) + eps", "adam_step(W, dZ @ Xb.T"]),
])
def test_student_versions_hold_no_solutions_and_no_hidden_tests(built, name, solution_lines):
    text = (built / "dist" / name / "student" / f"{name}.ipynb").read_text()
    for line in solution_lines + ["BEGIN SOLUTION", "END SOLUTION", "own_code=True", "_C.check_",
                                  "BEGIN TESTS"]:
        assert line not in text, line
    nb = nbformat.read(built / "dist" / name / "student" / f"{name}.ipynb", 4)
    assert any("grader.check(" in c.source for c in nb.cells)          # public checks stay
    assert sum(c.source.count("...") for c in nb.cells if c.cell_type == "code") >= 3
    # ... and the reference version does hold them, so the test above could fail
    ref = json.dumps(reference(built, name))
    assert all(line in ref for line in solution_lines)


# --- grading -------------------------------------------------------------------------------------
def test_hw1_reference_buggy_cheating_and_crashing_submissions(built):
    subs = {
        "reference": reference(built, HW1),
        "buggy": variant(built, HW1, [
            ("    return np.maximum(z, 0.0)", "    z[z < 0] = 0.0\n    return z"),
            ("    dZ = dA * g_prime(Z)\n", "    dZ = dA\n"),
            ("    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / Y.shape[1]",
             "    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))"),
        ]),
        "cheater": variant(built, HW1, [
            ("import numpy as np", "import numpy as np\nimport nnbook, nnbook.checkers\n"
             "ok = lambda *a, **k: nnbook.checkers.CheckResult('x', [nnbook.checkers.Comparison('x', True)])\n"
             "for _f in ('check_activation', 'check_loss', 'check_layer_backward', 'check_forward',"
             " 'check_network_backward'):\n    setattr(nnbook.checkers, _f, ok)"),
            ("    return np.maximum(z, 0.0)", "    return z"),
            ("    return (E / E.sum(axis=0, keepdims=True) - Y) / Y.shape[1]",
             "    return nnbook.losses.softmax_cross_entropy_grad(Z, Y)"),
        ]),
        "patches_numpy": variant(built, HW1, [
            ("import numpy as np", "import numpy as np\nnp.all = lambda *a, **k: True"),
            ("    return np.maximum(z, 0.0)", "    return z"),
        ]),
        "exits": variant(built, HW1, [("    return np.maximum(z, 0.0)",
                                       "    import sys\n    sys.exit(0)")]),
        "kills_its_kernel": variant(built, HW1, [("import numpy as np",
                                                  "import numpy as np, os\nos._exit(1)")]),
    }
    rows, out = grade(built, HW1, subs, "--jobs", "2", "--timeout", "300")
    full = {"q1_activations": 4.0, "q2_dense_layer": 4.0, "q3_losses": 4.0, "q4_backprop": 4.0}
    assert scores(rows["reference"]) == full and rows["reference"]["status"] == "ok"
    # each bug costs its own question's points, and only those
    assert scores(rows["buggy"]) == {"q1_activations": 3.0, "q2_dense_layer": 2.0,
                                     "q3_losses": 2.0, "q4_backprop": 4.0}
    feedback = (out / "buggy.txt").read_text()
    assert "changed its argument `z` in place" in feedback
    assert "the factor g'(Z) is missing" in feedback
    assert "you summed" in feedback
    # patching the checkers changes nothing; nnbook's own gradient earns nothing
    assert scores(rows["cheater"]) == {"q1_activations": 3.0, "q2_dense_layer": 4.0,
                                       "q3_losses": 2.0, "q4_backprop": 4.0}
    assert "nnbook's implementation" in (out / "cheater.txt").read_text()
    # a notebook that makes NumPy lie fails the checkers' self-test in every hidden test
    assert sum(scores(rows["patches_numpy"]).values()) == 0.0
    assert "grading environment was changed" in (out / "patches_numpy.txt").read_text()
    # suspicious source is flagged for a person to read; honest work is not
    assert rows["reference"]["flags"] == "" and rows["buggy"]["flags"] == ""
    assert "patching" in rows["cheater"]["flags"] and "patching" in rows["patches_numpy"]["flags"]
    assert "exits" in rows["kills_its_kernel"]["flags"]
    # sys.exit inside an answer fails that answer; the grader carries on
    assert scores(rows["exits"]) == {**full, "q1_activations": 3.0}
    assert rows["kills_its_kernel"]["status"].startswith("crashed")
    assert sum(scores(rows["kills_its_kernel"]).values()) == 0.0


def test_a_hanging_submission_is_stopped_at_the_time_limit(built):
    hang = variant(built, HW1, [("import numpy as np", "import numpy as np\nwhile True:\n    pass")])
    rows, _ = grade(built, HW1, {"hangs": hang}, "--timeout", "8")
    assert rows["hangs"]["status"] == "timed out after 8 s"
    assert float(rows["hangs"]["total"]) == 0.0 and float(rows["hangs"]["possible"]) == 16.0


def test_hw2_reference_and_named_optimizer_bugs(built):
    subs = {
        "reference": reference(built, HW2),
        "buggy": variant(built, HW2, [
            ("    v = state[\"v\"] = beta * state.get(\"v\", np.zeros_like(theta)) + grad",
             "    v = state[\"v\"] = beta * state.get(\"v\", np.zeros_like(theta)) + (1 - beta) * grad"),
            ("    theta -= lr * m_hat / (np.sqrt(v_hat) + eps)",
             "    theta -= lr * m_hat / np.sqrt(v_hat + eps)"),
        ]),
    }
    rows, out = grade(built, HW2, subs, "--jobs", "2")
    assert scores(rows["reference"]) == {"q1_momentum": 3.0, "q2_adam": 4.0,
                                         "q3_training_loop": 5.0}
    assert scores(rows["buggy"]) == {"q1_momentum": 0.0, "q2_adam": 0.0, "q3_training_loop": 5.0}
    feedback = (out / "buggy.txt").read_text()
    assert "EMA form" in feedback and "ε inside the square root" in feedback
