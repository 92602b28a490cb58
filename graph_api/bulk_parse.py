"""The lines of a bulk import, parsed: in this process, or in a pool of processes.

Parsing and validating the reports is most of an embedded import's CPU (55 % at
1M entities, measured 2026-11-30) and all of it Python holding the GIL, so
threads cannot share it out. For a big file ``parsed_lines`` hands ranges of
about a megabyte to worker processes, which read, parse and validate their lines
and send each report back as plain tuples (a report's frozen dataclasses pickle
and unpickle about three times slower than the same fields as tuples unpickle
and are rebuilt). Results are taken in file order, so line numbers, errors and
writes are exactly as without the pool; at most two ranges per worker are in
flight, so memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from graph_api.access import Reporters, Scope
from graph_api.errors import GraphAPIError
from graph_api.model import Evidence, Report, ReportedEntity, ReportedRelation
from graph_api.reports import parse_report

__all__ = ["LineParser", "ParsedLine", "error_text", "json_problem", "parsed_lines",
           "report_from_row", "report_row"]

RANGE_BYTES = 1 << 20
POOL_FROM_BYTES = 16 << 20  # smaller files parse in this process: a pool takes ~0.5 s to start


class ParsedLine(NamedTuple):
    number: int
    reporter: Scope
    outcome: Report | str  # the report, or why the line was rejected


def error_text(exc: Exception) -> str:
    """How a rejected line is reported: ``CODE: message``."""
    if isinstance(exc, GraphAPIError):
        return f"{exc.code}: {exc.message}"
    return f"BAD_USER_INPUT: {exc}"


# orjson's (yyjson's) messages, in words a person who typed the line can act on.
_JSON_WORDS = (
    ("invalid literal, expected ", "a word JSON does not know: write {expected} "
                                   "(and text in double quotes)"),
    ("expected a JSON value", "a value is missing or is not JSON (text goes in double "
                              "quotes; numbers, true, false and null do not)"),
    ("expected a string key", "a key is not in double quotes (write \"key\": value)"),
    ("expected ':' after key", "a ':' is missing after a key"),
    ("expected ',' or ']'", "a ',' between list items, or the closing ']', is missing"),
    ("expected ',' or '}'", "a ',' between fields, or the closing '}', is missing"),
    ("trailing comma", "a comma before a closing bracket (JSON allows none there)"),
    ("unexpected end of data", "the line ends inside the JSON: a closing '}', ']' or "
                               "'\"' is missing"),
    ("content after document", "more after the end of the JSON object (one report per line)"),
    ("leading zero", "a number starts with 0 (write 7, not 07)"),
    ("no digit after", "a number is cut short (write 1.0 or -1, not 1. or -)"),
    ("escaped sequence", "a backslash in a string that JSON does not know (write \\\\ "
                         "for a backslash)"),
    ("control character", "a tab or line break inside a string (write \\t or \\n)"),
    ("UTF-8", "the line is not UTF-8 text"),
)


def json_problem(line: bytes, error: orjson.JSONDecodeError) -> str:
    """What is wrong with a line that is not JSON, in words, and where.

    >>> try:
    ...     orjson.loads(b'{"reportId": nul}')
    ... except orjson.JSONDecodeError as e:
    ...     print(json_problem(b'{"reportId": nul}', e))
    not JSON at column 14 ('nul}'): a word JSON does not know: write 'null' (and text in \
double quotes)
    """
    message = error.msg
    words = message
    for fragment, plain in _JSON_WORDS:
        if fragment in message:
            expected = message.rsplit("expected ", 1)[-1]
            words = plain.replace("{expected}", expected)
            break
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    at = min(error.pos, len(text))
    excerpt = text[at:at + 20] + ("..." if len(text) > at + 20 else "")
    where = f"column {at + 1}" + (f" ({excerpt!r})" if excerpt else " (the end of the line)")
    return f"not JSON at {where}: {words}"


@dataclass(frozen=True)
class LineParser:
    """Everything a line's parse needs, none of it the store: it goes to worker processes."""

    reporters: Reporters
    secret: bytes
    known_orgs: frozenset[str]
    clock: Callable[[], datetime]

    def parse(self, line: bytes) -> tuple[object, Report]:
        """The line's ``reportedBy`` and its validated report; raises what rejects it."""
        try:
            raw: Any = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise ValueError(json_problem(line, error)) from None
        if not isinstance(raw, dict):
            raise ValueError("a line must be one JSON object (a ReportInput)")
        named = raw.get("reportedBy")
        reporter = self.reporters.pick(named)
        report = parse_report(raw, org_id=reporter.org_id, principal_id=reporter.principal_id,
                              secret=self.secret, now=self.clock(), known_orgs=self.known_orgs)
        return named, report


def parsed_lines(path: Path, parser: LineParser, *, workers: int,
                 advance: Callable[[int], None], pool_from: int | None = None
                 ) -> Iterator[ParsedLine]:
    """Every non-blank line of ``path`` in order, parsed; ``advance`` is told the bytes
    done. A file of ``pool_from`` bytes or more is parsed by ``workers`` processes (with
    0, or for a smaller file, in this one)."""
    if pool_from is None:
        pool_from = POOL_FROM_BYTES
    if workers > 0 and path.stat().st_size >= pool_from and _picklable(parser):
        yield from _pooled(path, parser, workers, advance)
        return
    reporters = parser.reporters
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            advance(len(line))
            if not line.strip():
                continue
            try:
                named, report = parser.parse(line)
            except (GraphAPIError, ValueError) as exc:
                yield ParsedLine(number, reporters.scope, error_text(exc))
                continue
            yield ParsedLine(number, reporters.pick(named), report)


def _picklable(parser: LineParser) -> bool:
    """False for a parser that cannot go to a worker (a test's clock is a lambda)."""
    try:
        pickle.dumps(parser)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _pooled(path: Path, parser: LineParser, workers: int,
            advance: Callable[[int], None]) -> Iterator[ParsedLine]:
    reporters = parser.reporters
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(parser, str(path)))
    try:
        ranges = _line_ranges(path, RANGE_BYTES)
        flight: deque[tuple[int, Future[tuple[int, list[Any]]]]] = deque()

        def send() -> None:
            span = next(ranges, None)
            if span is not None:
                flight.append((span[1] - span[0], pool.submit(_parse_range, *span)))

        for _ in range(2 * workers):
            send()
        first = 1  # the number of the range's first line
        while flight:
            size, future = flight.popleft()
            send()
            count, results = future.result()
            for offset, named, outcome in results:
                if isinstance(outcome, str):
                    yield ParsedLine(first + offset, reporters.scope, outcome)
                else:
                    yield ParsedLine(first + offset, reporters.pick(named),
                                     report_from_row(outcome))
            first += count
            advance(size)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _line_ranges(path: Path, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of about ``size`` that begin and end on line boundaries."""
    total = path.stat().st_size
    with path.open("rb") as handle:
        start = 0
        while start < total:
            handle.seek(min(start + size, total))
            handle.readline()  # to the end of the line the range ends in
            end = handle.tell()
            yield start, end
            start = end


_worker: tuple[LineParser, BinaryIO] | None = None


def _start_worker(parser: LineParser, path: str) -> None:
    global _worker
    gc.disable()  # parsing makes no cycles; see graph_api.gc_pause
    os.nice(5)  # the importing process (the writer) first: it is what the pool waits on
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the import, which stops us
    _worker = (parser, open(path, "rb"))  # noqa: SIM115 - open for the worker's life


def _parse_range(start: int, end: int) -> tuple[int, list[Any]]:
    """In a worker: the range's line count and, per non-blank line, (index from 0,
    reportedBy, report row or error text)."""
    assert _worker is not None
    parser, handle = _worker
    handle.seek(start)
    lines = handle.read(end - start).split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the range ends with a newline: no line after it
    results: list[Any] = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            named, report = parser.parse(line)
        except (GraphAPIError, ValueError) as exc:
            results.append((index, None, error_text(exc)))
            continue
        results.append((index, named, report_row(report)))
    return len(lines), results


def report_row(report: Report) -> tuple[Any, ...]:
    """A report as nested tuples of its fields (enum members pickle once per range)."""
    return (
        report.id, report.org_id, report.principal_id, report.received_at, report.source,
        report.confidence, report.marking, report.shared_with,
        tuple((e.id, e.kind, e.name, e.region, e.status, e.properties, e.identifier_kind,
               e.value) for e in report.entities),
        tuple((r.kind, r.source, r.target, r.confidence) for r in report.relations),
        tuple((v.id, v.kind, v.description, v.sha256, v.uri) for v in report.evidence),
        report.digest,
    )


def report_from_row(row: tuple[Any, ...]) -> Report:
    """The report ``report_row`` was made from."""
    (report_id, org_id, principal_id, received_at, source, confidence, marking, shared_with,
     entities, relations, evidence, digest) = row
    return Report(
        report_id, org_id, principal_id, received_at, source, confidence, marking, shared_with,
        tuple(ReportedEntity(*e) for e in entities),
        tuple(ReportedRelation(*r) for r in relations),
        tuple(Evidence(*v) for v in evidence),
        digest,
    )

