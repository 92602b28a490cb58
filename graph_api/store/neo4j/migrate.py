"""Bring a Neo4j database written before entity summaries, or before org-local audit
numbers, to today's layout.

Before ``summaries``, every entity fact was an ``(:EFact {eid})`` node and
nothing else. Today an entity's facts live in one ``(:ESum)`` per visibility
class, and only the facts of classes stated more than ``INLINE`` times stay
``EFact`` nodes. ``migrate`` builds the summaries from the facts, entities in
batches, each one transaction that writes an entity's summaries and deletes
its facts that became inline: an entity with facts and no summary is one not
done yet, so an interrupted migration resumes where it stopped. It then
records ``layout = 2`` in ``(:Meta)`` (a new database is marked at once).
Start one replica first after upgrading: it migrates, the others find it done.

``migrate_audit`` gives every audit record written before org-local numbering its
audience (the org whose admins see it, ``graph_api.audit.audience_of``), its
number and hash in that audience's own chain, in chain order, and moves each
audience's head after them. Each batch is one transaction under the ledger head's lock, so
no record is appended meanwhile; it records ``audit_layout = 1`` when done.

``migrate_as_of`` gives every node the visibility fragment reads its time ``at``
(microseconds since the epoch, for views as of a time): reports from their
``received_at``, facts and the change log from their report's, summaries and
visibility classes their first fact's; in batches, each resumable (it sets only what
lacks a time); it records ``as_of_layout = 1`` when done.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from neo4j import WRITE_ACCESS, ManagedTransaction

from graph_api.access import instant
from graph_api.audit import GENESIS, AuditEntry, chain_hash
from graph_api.store.neo4j.audit import now_text
from graph_api.store.neo4j.cypher import query
from graph_api.store.neo4j.rows import SummaryRows, chunks, summary_rows
from graph_api.store.neo4j.summaries import class_versions

T = TypeVar("T")


class Migrated(Protocol):
    """What a migration uses of the store it migrates (``Neo4jStore``, which runs the
    migrations when it opens: this module does not import it back)."""

    def _run(self, mode: str, text: str, *, timeout: float | None = None, **params: Any
             ) -> list[dict[str, Any]]: ...

    def _write(self, work: Callable[[ManagedTransaction], T], facts: bool = True) -> T: ...

__all__ = ["AS_OF_LAYOUT", "AUDIT_LAYOUT", "LAYOUT", "migrate", "migrate_as_of",
           "migrate_audit"]

LAYOUT = 2  # entity summaries
AUDIT_LAYOUT = 1  # audit records numbered per audience
AS_OF_LAYOUT = 1  # times on what the visibility fragment reads
TIMES = 20_000  # nodes given their time per migration statement
ENTITIES = 2_000  # per migration transaction
AUDIT_RECORDS = 5_000  # per audit migration transaction


def migrate(store: Migrated) -> int:
    """Summaries for every entity of an old database; the number of entities done."""
    if int(store._run(WRITE_ACCESS, query("read_counter"), key="layout")[0]["value"]) >= LAYOUT:
        return 0
    done, after = 0, ""
    while True:
        page = store._run(WRITE_ACCESS, query("migrate_list_entities"), after=after,
                          limit=ENTITIES)
        if not page:
            break
        after = page[-1]["eid"]
        ids = [r["eid"] for r in page if not r["summaries"]]
        if not ids:
            continue
        facts = store._run(WRITE_ACCESS, query("migrate_read_facts"), ids=ids)
        store._write(_batch(summary_rows(facts, {}), facts))
        done += len(ids)
    store._write(lambda tx: tx.run(query("next_counter"), key="layout", by=LAYOUT,
                                     epoch=uuid.uuid4().hex).consume())
    return done


def _inline(facts: list[dict[str, Any]], rows: SummaryRows) -> list[dict[str, Any]]:
    """Per entity, the report keys of its facts that now live inline in a summary."""
    kept = {(r["id"], r["seq"]) for r in rows.facts}  # hub classes' facts stay nodes
    out: dict[str, list[int]] = {}
    for f in facts:
        if (f["id"], f["seq"]) not in kept:
            out.setdefault(f["id"], []).append(f["seq"])
    return [{"eid": eid, "seqs": seqs} for eid, seqs in out.items()]


def _batch(rows: SummaryRows, facts: list[dict[str, Any]]
           ) -> Callable[[ManagedTransaction], None]:
    """One batch's transaction: the summaries, and the facts they now hold deleted."""
    inline = _inline(facts, rows)

    def work(tx: ManagedTransaction) -> None:
        for part in chunks(rows.creates):
            tx.run(query("create_entity_summaries"), rows=part).consume()
        for part in chunks(inline):
            tx.run(query("migrate_delete_inline_facts"), rows=part).consume()

    return work


def migrate_audit(store: Migrated) -> int:
    """Audiences and org-local numbers for the records of an old ledger; how many."""
    if int(store._run(WRITE_ACCESS, query("read_counter"), key="audit_layout")[0]["value"]
           ) >= AUDIT_LAYOUT:
        return 0
    done, after = 0, 0
    while True:
        seqs: list[int] = store._write(functools.partial(_number_audit_batch, after=after),
                                       facts=False)
        if not seqs:
            break
        done, after = done + len(seqs), seqs[-1]
    store._write(lambda tx: tx.run(query("next_counter"), key="audit_layout", by=AUDIT_LAYOUT,
                                     epoch=uuid.uuid4().hex).consume(), facts=False)
    return done


def _number_audit_batch(tx: ManagedTransaction, after: int) -> list[int]:
    """Number the oldest unnumbered records after ``after``, under the ledger head's
    lock: their seqs (none: none was left)."""
    tx.run(query("lock_audit_head"), genesis=GENESIS, at=now_text(), audience="").consume()
    rows = list(tx.run(query("migrate_list_unnumbered_audit"), after=after,
                       limit=AUDIT_RECORDS))
    if not rows:
        return []
    entries = [_entry(r) for r in rows]
    heads = {r["audience"]: (int(r["org_seq"]), str(r["org_hash"])) for r in tx.run(
        query("read_audit_heads"), audiences=sorted({e.audience for e in entries}),
        genesis=GENESIS)}
    records = []
    for row, entry in zip(rows, entries, strict=True):
        org_seq, org_prev = heads[entry.audience]
        heads[entry.audience] = (org_seq + 1, chain_hash(org_prev, org_seq + 1, entry))
        records.append({"seq": row["seq"], "audience": entry.audience, "org_seq": org_seq + 1,
                        "org_hash": heads[entry.audience][1]})
    tx.run(query("migrate_number_audit"), records=records,
           heads=[{"audience": a, "org_seq": n, "org_hash": h} for a, (n, h) in heads.items()]
           ).consume()
    return [int(r["seq"]) for r in rows]


def _entry(row: Any) -> AuditEntry:
    """A stored record's fields as its hashes cover them (an unreadable field, as a
    tampered record may have, reads as the epoch or "": `audit verify` names it)."""
    try:
        at = datetime.fromisoformat(row["at"])
    except (TypeError, ValueError):
        at = datetime(1970, 1, 1, tzinfo=UTC)
    return AuditEntry(at, *(str(row[k] or "") for k in ("principal_id", "org_id", "operation",
                                                         "digest")))


def migrate_as_of(store: Migrated) -> int:
    """Times for every report, fact, summary, change-log entry and class of a database
    written before views as of a time; how many reports were given theirs."""
    if int(store._run(WRITE_ACCESS, query("read_counter"), key="as_of_layout")[0]["value"]
           ) >= AS_OF_LAYOUT:
        return 0
    done = 0
    while True:
        rows = store._run(WRITE_ACCESS, query("migrate_list_report_times"), limit=TIMES)
        if not rows:
            break
        times = [{"seq": r["seq"], "at": instant(datetime.fromisoformat(r["received_at"]))}
                 for r in rows]
        store._write(lambda tx, part=times: tx.run(  # type: ignore[misc]
            query("migrate_set_report_times"), rows=part).consume())
        done += len(rows)
    _each_batch(store, query("migrate_efact_times"), limit=TIMES)
    _each_batch(store, query("migrate_relation_times"), limit=TIMES)
    _each_batch(store, query("migrate_log_times"), limit=TIMES)
    _each_batch(store, query("migrate_summary_times"), limit=TIMES)
    _each_batch(store, query("migrate_hub_summary_times"), limit=TIMES)
    classes = class_versions({**r, "seq": 0} for r in store._run(
        WRITE_ACCESS, query("migrate_class_times")))
    for part in chunks(classes):
        store._write(lambda tx, part=part: tx.run(  # type: ignore[misc]
            query("migrate_set_class_times"), rows=part).consume())
    store._write(lambda tx: tx.run(query("next_counter"), key="as_of_layout", by=AS_OF_LAYOUT,
                                     epoch=uuid.uuid4().hex).consume())
    return done


def _each_batch(store: Migrated, text: str, **params: Any) -> None:
    """Run a time migration's batch (``text`` returns how many nodes it did) until one
    does none."""
    def batch(tx: ManagedTransaction) -> int:
        row = tx.run(text, params).single()
        return 0 if row is None else int(row["done"])

    while store._write(batch):
        pass
