#!/usr/bin/env python3
"""Build the book's assignments with otter-grader and grade a folder of submissions locally.

    python assignments/grade.py build [NAME ...]
        otter assign each master notebook assignments/NAME.ipynb (default: all) into
        assignments/dist/NAME/student (hand this out: no solutions, no hidden tests) and
        assignments/dist/NAME/autograder (the solutions and the autograder zip).

    python assignments/grade.py grade NAME SUBMISSIONS [--out DIR] [--timeout S] [--jobs N]
        grade every *.ipynb in SUBMISSIONS with `otter run` and NAME's autograder zip; write
        DIR/grades.csv (one row per submission, one column per question) and DIR/<submission>.txt
        (each question's test output: the checkers' hints).  Default DIR: SUBMISSIONS/graded.

otter does the grading; this script only adds what a course needs around it.  Each submission
is graded in its own process group with a time limit: a submission that loops forever or kills
its kernel gets 0 on every question and a note saying why, and never stops the grading of the
others (a sys.exit() inside an answer only fails the questions that call it).  The hidden
tests re-import nnbook, check that its checkers still tell right from wrong (selftest: a
notebook that patched NumPy or the checkers fails them), and fail any answer that calls
nnbook's own implementation (own_code=True).  otter runs the hidden tests inside the student's
kernel, so code that rewrites the test files or the import system can still defeat them: the
`flags` column of grades.csv names submissions whose source touches such things, for a person
to read.
"""
from __future__ import annotations

import argparse
import csv
import glob
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIST = HERE / "dist"
BIN = Path(sys.executable).parent


def otter(*args: str) -> list[str]:
    exe = BIN / "otter"
    return [str(exe) if exe.exists() else "otter", *args]


def masters() -> dict[str, Path]:
    return {p.stem: p for p in sorted(HERE.glob("*.ipynb"))}


def build(names: list[str], run_tests: bool = True) -> None:
    known = masters()
    for name in names or list(known):
        if name not in known:
            sys.exit(f"no assignment {name!r}; known: {', '.join(known)}")
        out = DIST / name
        shutil.rmtree(out, ignore_errors=True)
        cmd = otter("assign", str(known[name]), str(out))
        if not run_tests:
            cmd.append("--no-run-tests")
        print("+", " ".join(cmd), flush=True)
        code = subprocess.call(cmd, cwd=HERE)
        if code:
            sys.exit(f"otter assign failed on {name} (exit code {code})")
        print(f"{name}: student version {out / 'student'}, autograder {autograder_zip(name)}")


def autograder_zip(name: str) -> Path:
    zips = sorted(glob.glob(str(DIST / name / "autograder" / "*-autograder_*.zip")))
    if not zips:
        sys.exit(f"no autograder for {name!r}: run `python assignments/grade.py build {name}`")
    return Path(zips[-1])


# Source patterns a submission has no reason to contain; they are flagged for a person to read.
SUSPICIOUS = {
    "test files": r"tests[/\\]|\.otter|otter\.|grader\.",
    "the import system": r"sys\.modules|meta_path|path_hooks|importlib|__import__|builtins",
    "the profiler": r"setprofile|settrace|threading|multiprocessing|concurrent\.futures",
    "patching": r"\b(np|numpy|nnbook|checkers)\.[A-Za-z_][\w.]*\s*=(?!=)|setattr\(",
    "exits": r"os\._exit|os\.kill|sys\.exit|signal\.",
}


def flags(submission: Path) -> str:
    """The kinds of suspicious code in the submission's code cells, '; '-separated."""
    import nbformat

    try:
        nb = nbformat.read(submission, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable notebook is flagged, not fatal
        return "unreadable notebook"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                     and not c.source.lstrip().startswith(("grader.check", "# Initialize Otter")))
    code = "\n".join(line for line in code.splitlines()
                     if not line.strip().startswith(("import otter", "grader = otter")))
    return "; ".join(kind for kind, pattern in SUSPICIOUS.items() if re.search(pattern, code))


def grade_one(submission: Path, zip_path: Path, timeout: float) -> tuple[dict, str, str]:
    """Grade one submission in its own process group; returns (scores, status, feedback)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / submission.name
        shutil.copy(submission, work)          # otter writes next to the submission
        proc = subprocess.Popen(otter("run", "--no-logo", "-a", str(zip_path), "-o", tmp,
                                      str(work)),
                                cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)    # otter, its kernel and anything they started
            proc.communicate()
            return {}, f"timed out after {timeout:g} s", ""
        results = Path(tmp) / "results.json"
        if proc.returncode or not results.exists():
            tail = "\n".join(log.strip().splitlines()[-5:])
            return {}, f"crashed (exit code {proc.returncode})", tail
        data = json.loads(results.read_text())
    scores, feedback = {}, []
    for test in data.get("tests", []):
        if "score" not in test:                # the summary of the public tests
            continue
        scores[test["name"]] = float(test["score"])
        output = test.get("output", "").strip()
        # the checkers' verdicts (FAIL lines and hints) first, otter's full report after
        verdicts = [line.strip() for line in output.splitlines()
                    if line.strip().startswith(("AssertionError: FAIL", "FAIL", "hint:"))
                    or re.match(r"\s*(\w+\.)*\w*(Error|Exit|Exception)\b.*", line)
                    and "Traceback" not in line]
        feedback.append(f"## {test['name']}: {test['score']:g} / {test['max_score']:g}\n"
                        + "".join(f"    {v}\n" for v in dict.fromkeys(verdicts))
                        + f"\n{output}\n")
    return scores, "ok", "\n".join(feedback)


def questions(name: str) -> dict[str, float]:
    """Question names and their points, read from the test files in the autograder zip."""
    found = {}
    with zipfile.ZipFile(autograder_zip(name)) as z:
        for member in sorted(z.namelist()):
            if member.startswith("tests/") and member.endswith(".py"):
                scope: dict = {}
                exec(compile(z.read(member).decode(), member, "exec"), scope)  # noqa: S102
                test = scope["test"]
                found[test["name"]] = float(sum(case.get("points") or 0
                                                for suite in test["suites"]
                                                for case in suite["cases"]))
    return found


def grade(name: str, folder: Path, out: Path | None = None, timeout: float = 300.0,
          jobs: int = 1) -> list[dict]:
    zip_path = autograder_zip(name)
    subs = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not subs:
        sys.exit(f"no submissions (*.ipynb) in {folder}")
    out = out or folder / "graded"
    out.mkdir(parents=True, exist_ok=True)
    parts = questions(name)
    rows = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:   # each grade is its own process
        graded = list(pool.map(lambda s: grade_one(s, zip_path, timeout), subs))
    for sub, (scores, status, feedback) in zip(subs, graded):
        row = {"submission": sub.name}
        row.update({q: scores.get(q, 0.0) for q in parts})
        row["total"] = sum(row[q] for q in parts)
        row["possible"] = sum(parts.values())
        row["status"] = status
        row["flags"] = flags(sub)
        rows.append(row)
        (out / f"{sub.stem}.txt").write_text(f"# {sub.name}: {row['total']:g} / "
                                             f"{row['possible']:g} ({status})\n\n{feedback}\n")
        print(f"{sub.name:40s} {row['total']:5g} / {row['possible']:g}  {status}", flush=True)
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"grades: {out / 'grades.csv'}; feedback per submission: {out}/<name>.txt")
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="otter assign the master notebooks")
    b.add_argument("names", nargs="*")
    b.add_argument("--no-run-tests", action="store_true",
                   help="do not check that the solutions pass their tests")
    g = sub.add_parser("grade", help="grade a folder of submissions")
    g.add_argument("name")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, default=None)
    g.add_argument("--timeout", type=float, default=300.0,
                   help="seconds per submission (default 300)")
    g.add_argument("--jobs", type=int, default=1,
                   help="submissions graded at the same time (default 1)")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.names, run_tests=not args.no_run_tests)
    else:
        grade(args.name, args.submissions, args.out, args.timeout, args.jobs)


if __name__ == "__main__":
    main()
