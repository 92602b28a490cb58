"""Alerts, decided per receiving org in that org's own view, after a report commits.

- RECIDIVISM: a seller or storefront joined through shared identifiers (at most
  2 identifier steps over USES) to a BANNED seller, or a storefront newly
  operated by a BANNED seller. Subject: the newcomer; explanation: the path.
- NEW_SOURCE: a warehouse or factory that becomes upstream of a brand's
  infringing listings through relations this report states for the first
  time (and was not upstream of any of them before). Subject: the source;
  explanation: brand <-INFRINGES- listing -> ... -> source.
- RING_GROWTH: a known RING (asserted before this report) gains a MEMBER_OF
  member. Subject: the ring; explanation: member -MEMBER_OF-> ring.

Every org that may see the report runs detection over its own view (DESIGN,
"Derived facts"): an org is alerted exactly when detection in its view would
alert it, with the explanation from its view, and never because of a fact it
may not see (a competitor's report that a seller is BANNED, a ring only a
competitor knows). Alert ids are deterministic per (kind, subject, cause), so
one fact alerts an org once; each org's alerts are its own records.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import networkx as nx

from graph_api.access import Scope, VisibilityClass
from graph_api.analytics import linked_entities
from graph_api.analytics.results import Path, Rel
from graph_api.analytics.walks import confidence_of, node_kind
from graph_api.model import Report
from graph_api.store.records import Record
from graph_api.store.scoped_view import related_by
from graph_api.workflow.model import AlertKind, time_key
from graph_api.workflow.runtime import acting_scope, records_for, workflow_for

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = [
    "ALERT",
    "get_alert",
    "list_alerts",
    "on_report_committed",
    "own_alert",
    "visible_paths",
]

log = logging.getLogger("graph_api.workflow")
ALERT = "alert"
MAX_UPSTREAM = 6
UPSTREAM = frozenset({"SHIPS_FROM", "SUPPLIED_BY", "LISTS", "INFRINGES"})
Edge = tuple[str, str, str]
Found = list[tuple[str, AlertKind, str, list[Path]]]
"""(subject, kind, cause, explanation) of each alert found."""


def on_report_committed(services: Services, scope: Scope, report: Report) -> list[str]:
    """Detect alerts after ``report`` committed; returns the ids raised. Never raises."""
    try:
        return _detect(services, report)
    except Exception:  # detection must never fail a write that already committed
        log.exception("alert detection failed for report %s", report.id)
        return []


def _detect(services: Services, report: Report) -> list[str]:
    """Run detection in the view of every org that may see ``report``."""
    wf = workflow_for(services)
    vc = VisibilityClass(report.org_id, report.marking, frozenset(report.shared_with))
    raised: list[str] = []
    found_seq: int | None = None  # the report's key, the same in every view showing it
    for org in services.store.orgs():
        scope = acting_scope(org.id, org.type, "detect")
        if not scope.sees(vc):
            continue
        G = services.store.view(scope)
        seqs = _fact_seqs(G, report)
        if found_seq is None:
            found_seq = _report_seq(services, seqs, report)
        seq = found_seq if found_seq in seqs else None
        if seq is None:  # nothing of it in this view (it was already known in full)
            continue
        new_edges = {
            (r.source, r.target, r.kind.value) for r in report.relations
            if _only_from(G, (r.source, r.target, r.kind.value), seq)
        }
        found: Found = []
        found += _recidivism(G, report)
        found += _new_sources(G, new_edges, wf.upstream_known.setdefault(org.id, set()))
        found += _ring_growth(G, new_edges, seq)
        raised += _store(services, org.id, found)
    return raised


def _fact_seqs(G: nx.MultiDiGraph, report: Report) -> set[int]:
    """The keys of the reports stating what ``report`` states, as far as ``G`` shows."""
    seqs: set[int] = set()
    for e in report.entities:
        if e.id in G:
            seqs.update(f.seq for f in G.nodes[e.id]["facts"])
    for r in report.relations:
        data = _edge(G, (r.source, r.target, r.kind.value))
        if data is not None:
            seqs.update(f.seq for f in data["facts"])
    return seqs


def _report_seq(services: Services, seqs: set[int], report: Report) -> int | None:
    """``report``'s key among ``seqs``: the newest of them first (a report just
    committed is), then the 49 before it."""
    newest = sorted(seqs, reverse=True)[:50]
    for batch in (newest[:1], newest[1:]):
        if not batch:
            continue
        for seq, env in services.store.envelopes(batch).items():
            if env.report_id == report.id and env.reported_by == report.org_id:
                return seq
    return None


def _edge(G: nx.MultiDiGraph, rel: Edge) -> Any:
    source, target, kind = rel
    if source not in G or target not in G.succ[source]:
        return None
    keys = G.succ[source][target]
    return keys[kind] if kind in keys else None


def _only_from(G: nx.MultiDiGraph, rel: Edge, seq: int) -> bool:
    data = _edge(G, rel)
    return data is not None and all(f.seq == seq for f in data["facts"])


def _status(G: nx.MultiDiGraph, node: str) -> str | None:
    return G.nodes[node].get("status") if node in G else None


def _retired(G: nx.MultiDiGraph, node: str) -> bool:
    return _status(G, node) in ("BANNED", "CLOSED")


def _reverse(path: Path) -> Path:
    return Path(tuple(reversed(path.nodes)), tuple(reversed(path.relations)), path.confidence)


def _recidivism(G: nx.MultiDiGraph, report: Report) -> Found:
    touched = {e.id for e in report.entities}
    for r in report.relations:
        touched.update((r.source, r.target))
    candidates: set[str] = set()
    for node in touched:
        if node not in G:
            continue
        kind = node_kind(G, node)
        if kind in ("SELLER", "STOREFRONT"):
            candidates.add(node)
        elif kind == "IDENTIFIER":
            candidates.update(u for u, keys in G.pred[node].items() if "USES" in keys)
    out = []
    for c in sorted(candidates):
        if node_kind(G, c) not in ("SELLER", "STOREFRONT"):
            continue
        banned = node_kind(G, c) == "SELLER" and _status(G, c) == "BANNED"
        if not banned and _retired(G, c):
            continue
        for link in linked_entities(G, c, max_hops=2):
            other = link.entity
            if banned and not _retired(G, other):
                out.append((other, AlertKind.RECIDIVISM, c, [_reverse(link.path)]))
            elif not banned and node_kind(G, other) == "SELLER" and _status(G, other) == "BANNED":
                out.append((c, AlertKind.RECIDIVISM, other, [link.path]))
    for r in report.relations:
        if r.kind.value == "OPERATES" and _status(G, r.source) == "BANNED" \
                and r.target in G and node_kind(G, r.target) == "STOREFRONT" \
                and not _retired(G, r.target):
            rel = (r.source, r.target, "OPERATES")
            conf = confidence_of(_edge(G, rel) or {})
            out.append((r.target, AlertKind.RECIDIVISM, r.source,
                        [Path((r.source, r.target), (rel,), conf)]))
    return out


def _downstream_listings(G: nx.MultiDiGraph, rel: Edge) -> set[str]:
    """Listings whose upstream walk may cross ``rel``."""
    source, target, kind = rel
    if kind in ("INFRINGES", "SHIPS_FROM") and node_kind(G, source) == "LISTING":
        return {source}
    if kind == "LISTS":
        return {target}
    seen, queue, listings = {source}, deque([(source, 0)]), set()
    while queue:
        node, depth = queue.popleft()
        kind_here = node_kind(G, node)
        if kind_here == "LISTING":
            listings.add(node)
            continue
        if kind_here == "STOREFRONT":
            nxt = [v for v, keys in G.succ[node].items() if "LISTS" in keys]
        else:
            nxt = [u for u, keys in G.pred[node].items()
                   if "SUPPLIED_BY" in keys or "SHIPS_FROM" in keys]
        if depth < MAX_UPSTREAM:
            for n in nxt:
                if n not in seen:
                    seen.add(n)
                    queue.append((n, depth + 1))
    return listings


def _upstream(G: nx.MultiDiGraph, listing: str, skip: set[Edge]) -> dict[str, list[Edge]]:
    """Every warehouse/factory upstream of ``listing`` with the relations of a shortest walk."""
    paths: dict[str, list[Edge]] = {listing: []}
    queue = deque([listing])
    while queue:
        node = queue.popleft()
        if len(paths[node]) >= MAX_UPSTREAM:
            continue
        steps = [(v, (node, v, k))
                 for v, k in related_by(G, node, ("SHIPS_FROM", "SUPPLIED_BY"), incoming=False)]
        if node_kind(G, node) == "LISTING":
            steps += [(u, (u, node, "LISTS")) for u, _ in related_by(G, node, ("LISTS",), True)]
        for nxt, rel in sorted(steps):
            if rel in skip or nxt in paths:
                continue
            paths[nxt] = [*paths[node], rel]
            queue.append(nxt)
    return {n: p for n, p in paths.items() if node_kind(G, n) in ("WAREHOUSE", "FACTORY")}


def _brands(G: nx.MultiDiGraph, listing: str, skip: set[Edge]) -> list[str]:
    return sorted(b for b, keys in G.succ[listing].items()
                  if "INFRINGES" in keys and (listing, b, "INFRINGES") not in skip)


def _new_sources(G: nx.MultiDiGraph, new_edges: set[Edge], known: set[tuple[str, str]]) -> Found:
    """Sources that this report's relations put upstream of a brand's listings for
    the first time. Cost: the upstream walks of the listings the new relations
    feed, and for each (brand, source) reached through them and not in ``known``
    a walk down from the source that stops at the first listing of that brand it
    reaches without them; every pair checked is added to ``known``."""
    walked = {e for e in new_edges if e[2] in UPSTREAM}
    if not walked:
        return []
    listings: set[str] = set()
    for rel in walked:
        listings |= _downstream_listings(G, rel)
    out = []
    decided: set[tuple[str, str]] = set()  # (brand, source) pairs already looked at
    for listing in sorted(listings):
        brands = _brands(G, listing, set())
        if not brands:
            continue
        now = _upstream(G, listing, set())
        before: set[str] | None = None  # the listing's sources without the new relations
        for brand in brands:
            if (listing, brand, "INFRINGES") in walked:
                fresh = now  # newly infringing: any of its sources may be new to the brand
            else:
                before = set(_upstream(G, listing, walked)) if before is None else before
                fresh = {s: rels for s, rels in now.items() if s not in before}
            for source, rels in sorted(fresh.items()):
                if (brand, source) in decided or (brand, source) in known:
                    continue
                decided.add((brand, source))
                was = _was_upstream(G, source, brand, walked)
                known.add((brand, source))  # upstream now, whatever it was before
                if was:
                    continue
                edges = [(listing, brand, "INFRINGES"), *rels]
                nodes = [brand, listing]
                for s, t, _ in rels:
                    nodes.append(t if s == nodes[-1] else s)
                out.append((source, AlertKind.NEW_SOURCE, brand,
                            [Path(tuple(nodes), tuple(edges), _confidence(G, edges))]))
    return out


def _was_upstream(G: nx.MultiDiGraph, source: str, brand: str, skip: set[Edge]) -> bool:
    """Whether ``source`` was upstream of a listing infringing ``brand`` without the
    relations in ``skip``: ``_upstream``'s walk run backwards from the source, to the
    same depth, stopping at the first such listing it meets (a warehouse's thousands
    of listings are read only until one infringes)."""

    def infringing(node: str) -> bool:
        if node_kind(G, node) != "LISTING":
            return False
        keys = G.succ[node].get(brand, {})
        return "INFRINGES" in keys and (node, brand, "INFRINGES") not in skip

    def steps(node: str) -> Iterator[tuple[str, Edge]]:
        for u, k in related_by(G, node, ("SHIPS_FROM", "SUPPLIED_BY"), incoming=True):
            yield u, (u, node, k)
        for v, _ in related_by(G, node, ("LISTS",), False):
            if node_kind(G, v) == "LISTING":
                yield v, (node, v, "LISTS")

    if infringing(source):
        return True
    depth = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if depth[node] >= MAX_UPSTREAM:
            continue
        for nxt, rel in steps(node):
            if rel in skip or nxt in depth:
                continue
            if infringing(nxt):
                return True
            depth[nxt] = depth[node] + 1
            queue.append(nxt)
    return False


def _confidence(G: nx.MultiDiGraph, edges: Iterable[Edge]) -> float:
    conf = 1.0
    for rel in edges:
        conf *= confidence_of(_edge(G, rel) or {})
    return conf


def _ring_growth(G: nx.MultiDiGraph, new_edges: set[Edge], seq: int) -> Found:
    out = []
    for member, ring, kind in sorted(new_edges):
        if kind != "MEMBER_OF" or node_kind(G, ring) != "RING":
            continue
        if all(f.seq == seq for f in G.nodes[ring]["facts"]):
            continue  # the ring itself is new: nothing grew
        rel = (member, ring, kind)
        out.append((ring, AlertKind.RING_GROWTH, member,
                    [Path((member, ring), (rel,), _confidence(G, [rel]))]))
    return out


def _store(services: Services, org: str, found: Found) -> list[str]:
    """Record ``org``'s new alerts (each record keyed ``org/alert id``) and tell its
    subscribers; returns the record keys."""
    wf = workflow_for(services)
    raised = []
    now = time_key(services.clock())
    for subject, kind, cause, paths in found:
        alert_id = f"alert-{kind.value.lower().replace('_', '-')}-{subject}-{cause}"
        key = f"{org}/{alert_id}"
        if key in raised or wf.records.get(ALERT, key) is not None:
            continue
        doc = {
            "id": alert_id, "org": org, "kind": kind.value, "raisedAt": now,
            "subject": subject, "cause": cause,
            "paths": [{"nodes": list(p.nodes), "relations": [list(r) for r in p.relations]}
                      for p in paths],
        }
        wf.records.put(ALERT, key, doc, sort=now,
                       terms=(f"org:{org}", f"org:{org}:kind:{kind.value}"))
        raised.append(key)
    for key in raised:
        wf.broker.publish(key)
    return raised


# -- reading -------------------------------------------------------------------
def visible_paths(G: nx.MultiDiGraph, doc: dict[str, Any]) -> list[Path] | None:
    """The alert's explanation in the caller's view ``G``, or None if any part is hidden."""
    if doc["subject"] not in G:
        return None
    out = []
    for p in doc["paths"]:
        nodes = tuple(p["nodes"])
        rels: tuple[Rel, ...] = tuple((r[0], r[1], r[2]) for r in p["relations"])
        if any(n not in G for n in nodes) or any(_edge(G, r) is None for r in rels):
            return None
        out.append(Path(nodes, rels, _confidence(G, rels)))
    return out


def get_alert(services: Services, scope: Scope, alert_id: str) -> Record | None:
    """The caller's org's alert of that id, or None (another org's alert of the same
    id is another record, never this org's to read)."""
    return records_for(services, scope).get(ALERT, f"{scope.org_id}/{alert_id}")


def own_alert(scope: Scope, key: str) -> bool:
    """Whether a published record key is one of the caller's org's alerts."""
    return key.startswith(f"{scope.org_id}/")


def list_alerts(
    services: Services, scope: Scope, G: nx.MultiDiGraph, kind: str | None, first: int
) -> list[tuple[Record, list[Path]]]:
    """The newest ``first`` alerts of the caller's org (their explanations in ``G``)."""
    records = records_for(services, scope)
    org = scope.org_id
    term = f"org:{org}" if kind is None else f"org:{org}:kind:{kind}"
    out: list[tuple[Record, list[Path]]] = []
    after = None
    while len(out) < first:
        page = records.find(ALERT, term=term, after=after, limit=200, descending=True)
        for record in page:
            paths = visible_paths(G, record.doc)
            if paths is not None:
                out.append((record, paths))
                if len(out) >= first:
                    break
        if len(page) < 200:
            break
        after = (page[-1].sort, page[-1].id)
    return out
