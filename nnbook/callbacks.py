r"""Callbacks for :func:`~nnbook.training.fit`: send each epoch's numbers anywhere.

After every epoch, :func:`~nnbook.training.fit` hands the epoch's record ``logs`` (a dict of
str to float: ``"loss"``, ``"val_loss"``, ``"lr"``, the diagnostics, ... exactly what it
appends to the :class:`~nnbook.training.History`) to each callback in ``callbacks=[...]``.
A callback is either

- any callable ``cb(epoch, logs)``, or
- an object with a method ``on_epoch_end(epoch, logs, net)`` (it also sees the network).

A callback that returns ``True`` stops training after that epoch
(``History.stopped_epoch`` records when); any other return value (``None``) lets it go on.
That is the whole interface: a function of two arguments can print, plot, store, or forward
the numbers to a tracking tool, for example::

    from torch.utils.tensorboard import SummaryWriter      # TensorBoard (needs torch)
    writer = SummaryWriter("runs/exp1")
    def to_tensorboard(epoch, logs):
        for key, value in logs.items():
            writer.add_scalar(key, value, epoch)

    import wandb                                           # Weights & Biases
    wandb.init(project="nnbook")
    fit(net, X, Y, callbacks=[lambda epoch, logs: wandb.log(logs, step=epoch)])

Neither tool is a dependency of ``nnbook``.  The two loggers here write plain local files
with the standard library only: :class:`JSONLinesLogger` (one JSON object per line, the
format most tools and ``pandas.read_json(path, lines=True)`` read) and :class:`CSVLogger`
(one row per epoch, for a spreadsheet or ``pandas.read_csv``).  :func:`read_jsonl` reads a
JSON Lines log back into a :class:`~nnbook.training.History`, so
:func:`nnbook.plotting.plot_history` draws a run logged earlier, or by another process.

Chapter: *Training diagnostics*.
"""
from __future__ import annotations

import csv
import json
import os

__all__ = ["JSONLinesLogger", "CSVLogger", "read_jsonl", "StopWhen", "call_callbacks"]


def _row(epoch, logs) -> dict:
    """``{"epoch": epoch, **logs}`` with plain Python floats (NumPy or CuPy scalars converted)."""
    row = {"epoch": int(epoch)}
    for key, value in logs.items():
        row[str(key)] = float(value)
    return row


def call_callbacks(callbacks, epoch: int, logs: dict, net) -> bool:
    """Call every callback with one epoch's ``logs``; ``True`` if any of them asks to stop.

    Each callback is called (all of them, even after one has asked to stop, so that every
    logger sees every epoch) as ``cb.on_epoch_end(epoch, logs, net)`` if it has that
    method, else as ``cb(epoch, logs)``.  Each gets its own copy of ``logs``.

    Shapes: none.  Chapter: *Training diagnostics*.
    """
    stop = False
    for cb in callbacks:
        if hasattr(cb, "on_epoch_end"):
            result = cb.on_epoch_end(epoch, dict(logs), net)
        else:
            result = cb(epoch, dict(logs))
        stop = stop or result is True
    return stop


def check_callbacks(callbacks) -> list:
    """``callbacks`` as a list, each checked to be callable or to have ``on_epoch_end``."""
    if callbacks is None:
        return []
    if callable(callbacks) or hasattr(callbacks, "on_epoch_end"):
        callbacks = [callbacks]
    try:
        callbacks = list(callbacks)
    except TypeError:
        raise TypeError(f"callbacks must be a list of callables cb(epoch, logs) or of objects "
                        f"with on_epoch_end(epoch, logs, net), got {type(callbacks).__name__}") from None
    for i, cb in enumerate(callbacks):
        if not (callable(cb) or hasattr(cb, "on_epoch_end")):
            raise TypeError(f"callbacks[{i}] must be a callable cb(epoch, logs) or have a method "
                            f"on_epoch_end(epoch, logs, net), got {type(cb).__name__}")
    return callbacks


class JSONLinesLogger:
    r"""Write each epoch's ``logs`` as one line of JSON: ``{"epoch": 1, "loss": 0.69, ...}``.

    The file is opened, appended to and closed every epoch, so it is complete on disk after
    each epoch (another process can follow it while training runs, and nothing is lost if
    training stops with an error).  Non-finite values are written as JSON's ``NaN`` /
    ``Infinity`` extension, which Python's :mod:`json` and pandas read back.

    Parameters
    ----------
    path : str or os.PathLike
        The file.  It is emptied when the logger is made, unless ``append=True``.
    append : bool
        Keep what the file holds and add to it (several runs in one file: give each a
        ``run`` name).
    run : str, optional
        Written as ``"run": run`` in every line, to tell runs in one file apart.

    Shapes: none.  Chapter: *Training diagnostics*.
    """

    def __init__(self, path, append: bool = False, run: str | None = None):
        self.path = os.fspath(path)
        self.run = run
        if not append:
            with open(self.path, "w", encoding="utf-8"):
                pass

    def __call__(self, epoch: int, logs: dict) -> None:
        row = _row(epoch, logs)
        if self.run is not None:
            row = {"run": self.run, **row}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    def __repr__(self) -> str:
        return f"JSONLinesLogger({self.path!r})"


class CSVLogger:
    r"""Write each epoch's ``logs`` as one row of a CSV file, with a header row first.

    The columns are ``epoch`` and the keys of the first epoch's ``logs``, in order; a later
    epoch with a key the header lacks is an error (``fit`` records the same keys every
    epoch).  Like :class:`JSONLinesLogger`, the file is complete after every epoch.

    Parameters
    ----------
    path : str or os.PathLike
        The file, emptied when the logger is made.

    Shapes: none.  Chapter: *Training diagnostics*.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.fields: list[str] | None = None
        with open(self.path, "w", encoding="utf-8"):
            pass

    def __call__(self, epoch: int, logs: dict) -> None:
        row = _row(epoch, logs)
        with open(self.path, "a", encoding="utf-8", newline="") as f:
            if self.fields is None:
                self.fields = list(row)
                csv.writer(f).writerow(self.fields)
            extra = [k for k in row if k not in self.fields]
            if extra:
                raise ValueError(f"CSVLogger({self.path!r}): epoch {epoch} has keys {extra} that "
                                 f"the header {self.fields} lacks; use JSONLinesLogger for "
                                 "records whose keys change")
            csv.writer(f).writerow([repr(row[k]) if k in row else "" for k in self.fields])

    def __repr__(self) -> str:
        return f"CSVLogger({self.path!r})"


def read_jsonl(path, run: str | None = None):
    """Read a :class:`JSONLinesLogger` file back into a :class:`~nnbook.training.History`.

    ``run`` selects the lines of one run in a file shared by several (the ``run`` field).
    Blank lines are skipped; a line that is not a JSON object is an error naming its line
    number.

    Shapes: none.  Chapter: *Training diagnostics*.
    """
    from .training import History  # here, not at the top: training imports this module

    history = History()
    with open(os.fspath(path), encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{os.fspath(path)!r}, line {number}: not JSON ({exc})") from None
            if not isinstance(row, dict) or "epoch" not in row:
                raise ValueError(f"{os.fspath(path)!r}, line {number}: expected a JSON object "
                                 f"with an 'epoch' field, got {line.strip()[:60]!r}")
            if run is not None and row.get("run") != run:
                continue
            row.pop("run", None)
            history.append(row.pop("epoch"), **row)
    return history


class StopWhen:
    r"""Stop training after the first epoch at which ``condition(logs)`` is true.

    ``StopWhen(lambda logs: logs["accuracy"] >= 0.99)`` stops once the training accuracy
    reaches 99 %; ``StopWhen.above("loss", 10.0)`` stops a run whose loss passes 10 (or
    becomes NaN).  (Early stopping on the validation loss, with patience and restoring the
    best parameters, is :class:`~nnbook.regularization.EarlyStopping`, built into ``fit``.)

    Attributes
    ----------
    epoch : int or None
        The epoch at which the condition first held.

    Shapes: none.  Chapter: *Training diagnostics*.
    """

    def __init__(self, condition):
        if not callable(condition):
            raise TypeError(f"condition must be a callable condition(logs) -> bool, "
                            f"got {type(condition).__name__}")
        self.condition = condition
        self.epoch: int | None = None

    def __call__(self, epoch: int, logs: dict) -> bool:
        if bool(self.condition(logs)):
            if self.epoch is None:
                self.epoch = int(epoch)
            return True
        return False

    @classmethod
    def above(cls, key: str, threshold: float) -> "StopWhen":
        """Stop when ``logs[key] > threshold`` or is NaN (e.g. a loss that blows up)."""
        threshold = float(threshold)
        return cls(lambda logs: not (float(logs[key]) <= threshold))

    def __repr__(self) -> str:
        return f"StopWhen(epoch={self.epoch})"
