"""Bulk import of ReportInput NDJSON: streamed, batched, every bad line named.

The file is read line by line (never whole); lines are parsed and validated
one by one (for a big file, in a pool of processes: `graph_api.bulk_parse`),
and the good ones committed in transactions of about ``batch_rows`` entity and
relation rows.

With a store whose writes wait on a server (``Backend.overlaps_writes``: Neo4j),
parsing and writing overlap: while a writer thread writes batch n, this
thread parses and validates batch n+1; the writer spends most of a batch
waiting on the socket with the GIL released, so the parsing comes nearly
free. At most one batch waits for the writer, so memory holds three batches
at most (written, waiting, being parsed). The embedded store writes in this
thread: its writes are Python work that needs the GIL, and two threads
taking turns at it were slower than one (62 s against 46 s at 100,000
entities). Either way what a batch reports (its bad lines in line order,
then its counts) is recorded by one writer, in file order.

A store that can check a batch without writing it (`WriteAhead`: Neo4j) gets a
third stage: a checker thread asks the server what each reporter sees for
batch n+1 (report ids known, kinds of the entities named) while batch n is
written, counting the good reports of the batches checked but not yet
written as written (a write that fails stops the import, so they will be).
At most one checked batch waits for the writer.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from graph_api.access import Action, Scope
from graph_api.bulk_parse import LineParser, error_text, parsed_lines
from graph_api.gc_pause import no_collection
from graph_api.model import Report
from graph_api.services import Services
from graph_api.store.base import CheckedBatch, SubmitResult, WriteAhead

__all__ = ["ImportSummary", "default_parse_workers", "import_ndjson"]


@dataclass
class ImportSummary:
    imported: int = 0
    unchanged: int = 0
    failed: int = 0
    entities: int = 0
    relations: int = 0
    alerts: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def line(self) -> str:
        raised = f", {self.alerts} alerts raised" if self.alerts else ""
        return (
            f"imported {self.imported} reports ({self.entities} entity and {self.relations} "
            f"relation assertions), {self.unchanged} already present, {self.failed} failed"
            + raised
        )


@dataclass
class _Batch:
    """Parsed lines to write, and the lines that failed to parse, by line number."""

    reports: list[tuple[int, Scope, Report]] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  # line number, error text
    rows: int = 0
    checked: CheckedBatch | None = None  # by the checker thread, when there is one


def default_parse_workers(services: Services) -> int:
    """One parse process per core for the embedded store, whose import is bound by the
    importing process; none for a store whose writes wait on a server (Neo4j): a writer
    thread already overlaps parsing with the server's work, and beside a server on the
    same cores the pool's extra CPU made the import slower (9,635 against 8,297
    assertions/s into ArcadeDB at 100k entities, 2026-11-30)."""
    if services.backend.overlaps_writes:
        return 0
    return os.cpu_count() or 1


def import_ndjson(
    services: Services,
    scope: Scope,
    path: Path,
    *,
    operator: bool,
    batch_rows: int = 50_000,
    progress: bool = True,
    errors_to: TextIO = sys.stderr,
    alerts: bool = False,
    workers: int = 0,
) -> ImportSummary:
    """Import every line of ``path``; each bad line is reported and skipped.

    With ``alerts`` (``services`` must hold the graph), every new report is run
    through alert detection after its batch commits, as ``submitReport`` does.
    A report is written whole or not at all; one already stored (same org and
    ``reportId``, same content) is counted unchanged. With ``workers`` a big file
    is parsed in that many processes (`graph_api.bulk_parse`); 0 parses here.
    """
    scope.require(Action.IMPORT)
    summary = ImportSummary()
    threaded = services.backend.overlaps_writes
    parser = LineParser(services.reporters(scope, operator), services.secret,
                        frozenset(org.id for org in services.store.orgs()), services.clock)
    batch = _Batch()
    with _progress(progress, path.stat().st_size) as advance, no_collection():
        writer = _Writer(services, scope, path, summary, errors_to, alerts, threaded)
        try:
            for number, reporter, outcome in parsed_lines(path, parser, workers=workers,
                                                          advance=advance):
                if isinstance(outcome, str):
                    batch.bad.append((number, outcome))
                    continue
                batch.reports.append((number, reporter, outcome))
                batch.rows += len(outcome.entities) + len(outcome.relations)
                if batch.rows >= batch_rows:
                    writer.put(batch)
                    batch = _Batch()
            writer.put(batch)
        finally:
            writer.close()  # the bar stays up until the last batch is written
    return summary


class _Writer:
    """Writes batches in turn and records what each did: in a thread of its own
    (``threaded``), else in the caller's."""

    def __init__(self, services: Services, scope: Scope, path: Path, summary: ImportSummary,
                 errors_to: TextIO, alerts: bool, threaded: bool) -> None:
        self.services, self.scope, self.path = services, scope, path
        self.summary, self.errors_to, self.alerts = summary, errors_to, alerts
        self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.checker: threading.Thread | None = None
        self.checked: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
        self.ahead: WriteAhead | None = services.backend.write_ahead if threaded else None
        if threaded:
            self.thread = threading.Thread(target=self._run, name="graph-api-import",
                                           daemon=True)
        if self.ahead is not None:
            self.checker = threading.Thread(target=self._check, name="graph-api-check",
                                            daemon=True)
        for thread in (self.thread, self.checker):  # the writer first: the checker hands to it
            if thread is not None:
                thread.start()

    def put(self, batch: _Batch) -> None:
        """Hand a batch over (waits while the writer is busy with two); re-raises what
        made the writer stop."""
        if not batch.reports and not batch.bad:
            return
        if self.thread is None:
            self._write(batch)
            return
        while True:
            self._raise()
            try:
                self.queue.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Wait for every batch handed over; re-raise the checker's or writer's error."""
        first = self.checker or self.thread
        if first is not None and first.is_alive():
            while True:
                try:
                    self.queue.put(None, timeout=0.5)
                    break
                except queue.Full:
                    if not first.is_alive():
                        break
        for thread in (self.checker, self.thread):
            if thread is not None:
                thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _check(self) -> None:
        """The checker thread: each batch checked (batches checked and not yet written
        counted as written), then handed to the writer."""
        assert self.ahead is not None
        unwritten: list[CheckedBatch] = []
        try:
            while (batch := self.queue.get()) is not None:
                if batch.reports:
                    unwritten = [b for b in unwritten if not b.written]
                    batch.checked = self.ahead.check_many(
                        [(s, r) for _, s, r in batch.reports], unwritten)
                    unwritten.append(batch.checked)
                self._hand(self.checked, batch)
        except BaseException as exc:  # noqa: BLE001 - handed to the importing thread
            self.error = exc
            self._drain(self.queue)
        finally:
            self._hand(self.checked, None)

    def _hand(self, to: queue.Queue[_Batch | None], batch: _Batch | None) -> None:
        """Put ``batch`` on ``to`` unless the writer has stopped."""
        while self.thread is not None and self.thread.is_alive():
            try:
                to.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    @staticmethod
    def _drain(from_: queue.Queue[_Batch | None]) -> None:
        """Let a thread blocked putting on ``from_`` return (it will see the error)."""
        while True:
            try:
                from_.get_nowait()
            except queue.Empty:
                break

    def _run(self) -> None:
        source = self.queue if self.checker is None else self.checked
        try:
            while (batch := source.get()) is not None:
                self._write(batch)
        except BaseException as exc:  # noqa: BLE001 - handed to the importing thread
            self.error = exc
            self._drain(source)
            if source is not self.queue:
                self._drain(self.queue)

    def _write(self, batch: _Batch) -> None:
        failed: list[tuple[int, str]] = list(batch.bad)
        outcomes: list[tuple[int, Scope, Report, SubmitResult]] = []
        if batch.reports:
            reports = batch.reports
            lines = f"{reports[0][0]}-{reports[-1][0]}"
            audit = self.services.operator_audit(
                f"cli import {self.path.name} lines {lines}", self.scope.org_id)
            results: list[SubmitResult | Exception]
            if batch.checked is not None and self.ahead is not None:
                self.ahead.write_checked(batch.checked, audit)
                results = batch.checked.results
            else:
                results = self.services.store.submit_many([(s, r) for _, s, r in reports],
                                                          audit)
            for (number, reporter, report), result in zip(reports, results, strict=True):
                if isinstance(result, SubmitResult):
                    outcomes.append((number, reporter, report, result))
                else:
                    failed.append((number, error_text(result)))
        summary = self.summary
        for number, text in sorted(failed, key=lambda f: f[0]):
            summary.failed += 1
            summary.errors.append((number, text))
            print(f"line {number}: {text}", file=self.errors_to)
        if self.alerts:
            from graph_api.workflow import on_report_committed  # the analytics: when asked
        for _, reporter, report, result in outcomes:
            if result.created:
                if self.alerts:
                    summary.alerts += len(on_report_committed(self.services, reporter, report))
                summary.imported += 1
                summary.entities += result.entities
                summary.relations += result.relations
            else:
                summary.unchanged += 1


class _progress:
    """A rich progress bar over bytes read, or nothing."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda n: None
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        self.bar.__enter__()
        task = self.bar.add_task("importing", total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.__exit__(None, None, None)
