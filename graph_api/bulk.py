"""Bulk import of ReportInput NDJSON: streamed, batched, every bad line named.

The file is read line by line (never whole); lines are parsed and validated
one by one, and the good ones committed in transactions of about
``batch_rows`` entity and relation rows.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from graph_api.access import Action, Scope
from graph_api.errors import GraphAPIError
from graph_api.model import Report
from graph_api.services import Services
from graph_api.store.base import SubmitResult
from graph_api.workflow import on_report_committed

__all__ = ["ImportSummary", "import_ndjson"]


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


def _error_text(exc: Exception) -> str:
    if isinstance(exc, GraphAPIError):
        return f"{exc.code}: {exc.message}"
    return f"BAD_USER_INPUT: {exc}"


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
) -> ImportSummary:
    """Import every line of ``path``; each bad line is reported and skipped.

    With ``alerts`` (``services`` must hold the graph), every new report is run
    through alert detection after its batch commits, as ``submitReport`` does.
    """
    scope.require(Action.IMPORT)
    summary = ImportSummary()
    batch: list[tuple[int, Scope, Report]] = []
    rows = 0

    def fail(number: int, exc: Exception) -> None:
        summary.failed += 1
        text = _error_text(exc)
        summary.errors.append((number, text))
        print(f"line {number}: {text}", file=errors_to)

    def flush() -> None:
        nonlocal rows
        if not batch:
            return
        lines = f"{batch[0][0]}-{batch[-1][0]}"
        audit = services.operator_audit(f"cli import {path.name} lines {lines}", scope.org_id)
        results = services.store.submit_many([(s, r) for _, s, r in batch], audit)
        for (number, reporter, report), result in zip(batch, results, strict=True):
            if isinstance(result, SubmitResult):
                if result.created:
                    if alerts:
                        summary.alerts += len(on_report_committed(services, reporter, report))
                    summary.imported += 1
                    summary.entities += result.entities
                    summary.relations += result.relations
                else:
                    summary.unchanged += 1
            else:
                fail(number, result)
        batch.clear()
        rows = 0

    size = path.stat().st_size
    with _progress(progress, size) as advance, path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            advance(len(line))
            if not line.strip():
                continue
            try:
                raw: Any = orjson.loads(line)
                if not isinstance(raw, dict):
                    raise ValueError("a line must be one JSON object (a ReportInput)")
                reporter = services.reporter_scope(scope, raw, operator)
                report = services.parse(reporter, raw)
            except (GraphAPIError, ValueError) as exc:
                fail(number, exc)
                continue
            batch.append((number, reporter, report))
            rows += len(report.entities) + len(report.relations)
            if rows >= batch_rows:
                flush()
        flush()
    return summary


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
