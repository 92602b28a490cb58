"""The submit sequence, written once: which reports of a batch are written, and the
answer each one gets.

For each report, in order: a ``reportId`` repeated within the batch is a
``Conflict``; a ``reportId`` already written answers as it did (``created=False``)
if its content is the same, else is a ``Conflict``; then the report is checked
against what its reporter sees (``reports.check_against_view``) — the database,
then what earlier good reports of the same batch (and of ``ahead``: batches checked
before, perhaps not committed yet) add to that reporter's view. A refused report
gets its error as its answer and adds nothing.

Both stores call ``check_reports`` with two narrow reads of their own, each within
its own boundary: the embedded store inside its write transaction (so that an
import committed by another process cannot come between the check and the write),
the Neo4j store before it writes (``WriteAhead``: an import checks batch n+1 while
batch n is written).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping, Sequence

from graph_api.access import Scope, VisibilityClass
from graph_api.errors import BadUserInput, Conflict
from graph_api.model import EntityKind, Report
from graph_api.reports import check_against_view, mentioned_ids
from graph_api.store.base import CheckedBatch, SubmitResult

__all__ = ["KnownReport", "answer_of", "check_reports", "known_of"]

ReportKey = tuple[str, str]  # (org id, report id)
KnownReport = tuple[str, int, int]  # a written report's digest, entities, relations
KnownReports = Callable[[list[ReportKey]], Mapping[ReportKey, KnownReport]]
VisibleKinds = Callable[[Scope, list[str]], dict[str, EntityKind]]


def known_of(reports: Iterable[Report]) -> dict[ReportKey, KnownReport]:
    """What the database will answer for ``reports`` once they are committed."""
    return {(r.org_id, r.id): (r.digest, len(r.entities), len(r.relations)) for r in reports}


def check_reports(
    reports: Sequence[tuple[Scope, Report]],
    known_reports: KnownReports,
    visible_kinds: VisibleKinds,
    ahead: Sequence[Report] = (),
) -> CheckedBatch:
    """Each report checked alone, as the module docstring says, writing nothing.

    ``known_reports(keys)``: the written reports among ``keys``; ``visible_kinds(scope,
    ids)``: the kind each id has in the scope's view of the database. Each is called
    once (once per reporting scope), whatever the batch's size.
    """
    known = dict(known_reports([(rep.org_id, rep.id) for _, rep in reports]))
    for key, value in known_of(ahead).items():  # the database says the same once committed
        known.setdefault(key, value)
    by_scope: dict[str, tuple[Scope, list[str]]] = {}
    for scope, report in reports:
        by_scope.setdefault(scope.view_key, (scope, []))[1].extend(mentioned_ids(report))
    seen_by_scope = {
        key: visible_kinds(scope, list(dict.fromkeys(ids)))
        for key, (scope, ids) in by_scope.items()
    }
    pending: dict[str, dict[str, EntityKind]] = {key: {} for key in by_scope}

    def added(report: Report) -> None:  # what a good report adds to each view that sees it
        vc = VisibilityClass(report.org_id, report.marking, frozenset(report.shared_with))
        for key, (other, _) in by_scope.items():
            if other.sees(vc):
                adds = pending[key]
                for entity in report.entities:
                    adds.setdefault(entity.id, entity.kind)

    for report in ahead:
        added(report)
    results: list[SubmitResult | Exception] = []
    good: list[Report] = []
    in_batch: set[ReportKey] = set()
    for scope, report in reports:
        key = (report.org_id, report.id)
        try:
            if key in in_batch:
                raise Conflict(f"reportId {report.id!r} repeats in this import",
                               field="reportId")
            written = known.get(key)
            if written is not None:
                results.append(_replayed(report, written))
                continue
            # the database's view, then what earlier reports add: read through, not
            # copied (a copy per report grew with the batch)
            check_against_view(report, ChainMap(seen_by_scope[scope.view_key],
                                                pending[scope.view_key]))
            added(report)
            in_batch.add(key)
            good.append(report)
            results.append(
                SubmitResult(report.id, len(report.entities), len(report.relations), True))
        except (BadUserInput, Conflict) as exc:
            results.append(exc)
    return CheckedBatch(results, good)


def _replayed(report: Report, written: KnownReport) -> SubmitResult:
    digest, entities, relations = written
    if digest != report.digest:
        raise Conflict(
            f"reportId {report.id!r} was already used for a different report", field="reportId"
        )
    return SubmitResult(report.id, entities, relations, False)


def answer_of(checked: CheckedBatch) -> SubmitResult:
    """A batch of one report's answer, or the error that refused it, raised."""
    (result,) = checked.results
    if isinstance(result, Exception):
        raise result
    return result
