"""Bring a Neo4j database written before entity summaries to today's layout.

Before ``neo4j_summaries``, every entity fact was an ``(:EFact {eid})`` node and
nothing else. Today an entity's facts live in one ``(:ESum)`` per visibility
class, and only the facts of classes stated more than ``INLINE`` times stay
``EFact`` nodes. ``migrate`` builds the summaries from the facts, entities in
batches, each one transaction that writes an entity's summaries and deletes
its facts that became inline: an entity with facts and no summary is one not
done yet, so an interrupted migration resumes where it stopped. It then
records ``layout = 2`` in ``(:Meta)`` (a new database is marked at once).
Start one replica first after upgrading: it migrates, the others find it done.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from neo4j import WRITE_ACCESS, ManagedTransaction

from graph_api.store.cypher import query
from graph_api.store.neo4j_rows import SummaryRows, chunks, summary_rows

if TYPE_CHECKING:
    from graph_api.store.neo4j import Neo4jStore

__all__ = ["LAYOUT", "migrate"]

LAYOUT = 2  # entity summaries
ENTITIES = 2_000  # per migration transaction


def migrate(store: Neo4jStore) -> int:
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
