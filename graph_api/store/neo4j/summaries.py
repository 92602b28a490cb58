"""Entity summaries for the Neo4j store: one ``(:ESum)`` per entity and visibility class.

An entity's assertions fall into visibility classes (reporting org, marking,
``sharedWith``): a caller sees a class whole or not at all. The store keeps one
summary node per (entity, class), written with the facts:

- ``skey`` (entity id and class joined, unique), ``eid``, and the class's
  ``org``, ``marking`` and ``shared``, which the visibility fragment reads;
- ``first_seq`` and ``kind`` of the class's first fact (the kinds query orders by it);
- ``data``: one JSON text ``[eid, org, first_seq, kind, count, summary, facts]``,
  so a read returns one value per class (each value costs the driver more than
  its bytes). ``summary`` is what merging needs — the running noisy-OR miss,
  the latest name, region and status with the report key that set each, every
  property key with the keys that first and last set it, the identifier, and
  while the class has at most ``CONFS`` facts their (report key, confidence)
  pairs; ``facts`` the facts themselves while the class has at most
  ``INLINE``, past that null: they are ``(:EFact {eid})`` nodes.

A read fetches the caller's visible summaries: a handful of rows per entity,
even for a brand stated 20,000 times, and merges them. The latest value by
report key and properties key by key give exactly what merging the facts in
report order gives. Confidence is the one field whose float value depends on
the order of the multiplications: one visible class has its running miss,
exactly the product the embedded store computes; several are multiplied fact
by fact in report order from their pairs; classes too big to keep pairs are
hubs, whose misses multiply to below 2**-60, where 1 - miss rounds to 1.0 in
any order (rounding errors are relative, at most about n * 2**-53); failing
all that the facts are fetched. The facts list is `LazyFacts`: parsed, or for
hubs fetched, only when someone reads it (an entity's assertions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any, overload

import orjson

from graph_api.store.facts import Data, EntityFact
from graph_api.store.masks import merged_node

__all__ = [
    "CONFS",
    "INLINE",
    "ClassState",
    "LazyFacts",
    "class_key",
    "class_versions",
    "fact_tuple",
    "header_and_state",
    "merged_properties",
    "node_from_facts",
    "node_from_summaries",
]

Row = dict[str, Any]
INLINE = 8  # facts a class keeps in its summary node; beyond, EFact nodes
CONFS = 64  # (report key, confidence) pairs a class keeps for exact products
TINY_MISS = 2.0**-60  # below it, 1 - miss == 1.0 in any multiplication order
SEP = "\x1f"


def class_key(eid: str, org: str, marking: str, shared: Iterable[str]) -> str:
    """The summary key of an entity's visibility class."""
    return SEP.join((eid, org, marking, ",".join(sorted(shared))))


def class_versions(heads: Iterable[Row]) -> list[Row]:
    """The ``update_class_versions`` rows of report heads (``seq``, ``org``, ``marking``,
    ``shared``, ``at``): each visibility class written, with its newest report key and
    its earliest report's time.

    >>> [(r["key"], r["seq"], r["at"]) for r in class_versions([
    ...     {"seq": 4, "org": "acme", "marking": "RED", "shared": ["b", "a"], "at": 20},
    ...     {"seq": 5, "org": "acme", "marking": "RED", "shared": ["a", "b"], "at": 10}])]
    [('acme\\x1fRED\\x1fa,b', 5, 10)]
    """
    out: dict[str, Row] = {}
    for h in heads:
        shared = sorted(h["shared"])
        key = SEP.join((h["org"], h["marking"], ",".join(shared)))
        found = out.get(key)
        if found is None:
            found = out[key] = {"key": key, "org": h["org"], "marking": h["marking"],
                                "shared": shared, "seq": h["seq"], "at": h.get("at")}
        found["seq"] = max(found["seq"], h["seq"])
        if h.get("at") is not None and (found["at"] is None or h["at"] < found["at"]):
            found["at"] = h["at"]
    return list(out.values())


def fact_tuple(f: Sequence[Any]) -> EntityFact:
    """A stored fact ``[seq, conf, kind, name, region, status, props, ident_kind, value]``
    as the embedded graph's node fact (its class 0: what a read returns is already the
    caller's).

    >>> f = fact_tuple([7, 0.5, "SELLER", "Golden Shoes", None, None, None, "EMAIL", "x"])
    >>> f.seq, f.vclass, f.confidence, f.kind, f.name, f.properties
    (7, 0, 0.5, 'SELLER', 'Golden Shoes', None)
    """
    return tuple.__new__(EntityFact, (f[0], 0, f[1], f[2], f[3], f[4], f[5], f[6]))


def merged_properties(facts: Iterable[EntityFact]) -> dict[str, Any]:
    """Properties merged over facts oldest first: later values win (reads.py's rule)."""
    merged: dict[str, Any] = {}
    for fact in facts:
        if fact.properties:
            merged.update(orjson.loads(fact.properties))
    return merged


@dataclass
class ClassState:
    """One (entity, class) summary, as the writer folds facts into it."""

    count: int = 0
    miss: float = 1.0
    name: list[Any] | None = None  # [seq, value] of the latest non-null
    region: list[Any] | None = None
    status: list[Any] | None = None
    props: dict[str, list[Any]] = field(default_factory=dict)  # key: [first, pos, last, value]
    ident: list[Any] | None = None  # [seq, kind, value]
    confs: list[list[Any]] | None = field(default_factory=list)  # [seq, conf], oldest first
    facts: list[list[Any]] | None = field(default_factory=list)  # inline, oldest first

    @classmethod
    def load(cls, count: int, summary: dict[str, Any], facts: list[list[Any]] | None
             ) -> ClassState:
        return cls(count=count, miss=summary["miss"], name=summary["name"],
                   region=summary["region"], status=summary["status"],
                   props=summary["props"], ident=summary["ident"], confs=summary["confs"],
                   facts=facts)

    def dump(self, eid: str, org: str, first_seq: int, kind: str) -> str:
        """The summary node's ``data``."""
        return orjson.dumps([eid, org, first_seq, kind, self.count, {
            "miss": self.miss, "name": self.name, "region": self.region, "status": self.status,
            "props": self.props, "ident": self.ident, "confs": self.confs,
        }, self.facts]).decode()

    def add(self, fact: list[Any]) -> list[list[Any]]:
        """Fold one fact in (report keys ascending); the facts that leave the summary
        for ``EFact`` nodes (all of them when the class passes ``INLINE``)."""
        seq, conf, _, name, region, status, props, ident_kind, value = fact
        self.count += 1
        self.miss *= 1.0 - conf
        if name is not None:
            self.name = [seq, name]
        if region is not None:
            self.region = [seq, region]
        if status is not None:
            self.status = [seq, status]
        if props:
            for pos, (key, val) in enumerate(orjson.loads(props).items()):
                known = self.props.get(key)
                first = [seq, pos] if known is None else known[:2]
                self.props[key] = [*first, seq, val]
        if ident_kind is not None:
            self.ident = [seq, ident_kind, value]
        if self.confs is not None:
            self.confs.append([seq, conf])
            if len(self.confs) > CONFS:
                self.confs = None
        if self.facts is None:
            return [fact]
        self.facts.append(fact)
        if len(self.facts) <= INLINE:
            return []
        moved, self.facts = self.facts, None
        return moved


class LazyFacts(Sequence[EntityFact]):
    """An entity's visible facts, made on first use (their number is known already)."""

    def __init__(self, count: int, load: Callable[[], list[EntityFact]]) -> None:
        self._count = count
        self._load: Callable[[], list[EntityFact]] | None = load
        self._facts: list[EntityFact] = []

    def _all(self) -> list[EntityFact]:
        if self._load is not None:
            self._facts, self._load = self._load(), None
        return self._facts

    def __len__(self) -> int:
        return self._count if self._load is not None else len(self._facts)

    @overload
    def __getitem__(self, index: int) -> EntityFact: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[EntityFact]: ...
    def __getitem__(self, index: int | slice) -> EntityFact | Sequence[EntityFact]:
        return self._all()[index]

    def __iter__(self) -> Iterator[EntityFact]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "made" if self._load is None else "not made yet"
        return f"LazyFacts({self._count} facts, {state})"


def node_from_facts(facts: list[EntityFact], rows: Iterable[Row]) -> Data:
    """Node data from an entity's visible facts (oldest first) and summary rows: the
    embedded store's merge, with merged properties, reporters and identifier."""
    data = merged_node(facts)
    data["properties"] = merged_properties(facts)
    data.update(_extra(rows))
    return data


def header_and_state(data: str) -> tuple[Row, ClassState]:
    """A summary node's ``data`` as a row (``id``, ``org``, ``first_seq``, ``kind``,
    ``count``) and the class state."""
    eid, org, first_seq, kind, count, summary, facts = orjson.loads(data)
    row = {"id": eid, "org": org, "first_seq": first_seq, "kind": kind, "count": count}
    state = row["_state"] = ClassState.load(count, summary, facts)
    return row, state


def _state(r: Row) -> ClassState:
    state: ClassState = r["_state"]
    return state


def _extra(rows: Iterable[Row]) -> Data:
    """Reporters (orgs of the visible classes, first stated first) and the identifier
    value of the latest visible fact that carries one."""
    reporters: list[str] = []
    ident: list[Any] | None = None
    for r in sorted(rows, key=lambda r: r["first_seq"]):
        if r["org"] not in reporters:
            reporters.append(r["org"])
        found = _state(r).ident
        if found is not None and (ident is None or found[0] > ident[0]):
            ident = found
    out: Data = {"reporters": reporters}
    if ident is not None:
        out["identifier_kind"], out["value"] = ident[1], ident[2]
    return out


def node_from_summaries(rows: list[Row], load_hub_facts: Callable[[], list[EntityFact]]) -> Data:
    """Node data of one entity from the caller's visible summary rows (as
    `header_and_state` makes them); ``load_hub_facts`` fetches the visible facts kept
    as EFact nodes, oldest first."""
    rows = sorted(rows, key=lambda r: r["first_seq"])
    states = [_state(r) for r in rows]

    def load() -> list[EntityFact]:
        inline = [fact_tuple(f) for s in states for f in s.facts or ()]
        hub = load_hub_facts() if any(s.facts is None for s in states) else []
        return sorted(inline + hub, key=attrgetter("seq"))

    facts = LazyFacts(sum(s.count for s in states), load)
    data: Data = {"kind": rows[0]["kind"]}
    for name in ("name", "region", "status"):
        latest = max((getattr(s, name) for s in states if getattr(s, name) is not None),
                     default=None, key=lambda v: v[0])
        data[name] = None if latest is None else latest[1]
    if len(states) == 1:
        miss = states[0].miss
    elif all(s.confs is not None for s in states):
        miss = 1.0
        # report order, as the embedded store multiplies: each class's pairs are sorted,
        # so a stable sort of their concatenation is their merge (timsort merges the runs
        # in C; heapq.merge with a key cost 1-2 ms an entity over hubs' 64-pair lists)
        for _, conf in sorted(chain.from_iterable(s.confs or () for s in states),
                              key=itemgetter(0)):
            miss *= 1.0 - conf
    else:
        miss = 1.0
        for s in states:
            miss *= s.miss
        if miss >= TINY_MISS:  # the exact product needs every fact, in report order
            miss = merged_node(list(facts))["miss"]
    data["miss"], data["confidence"], data["facts"] = miss, 1.0 - miss, facts
    keys: dict[str, list[Any]] = {}
    for s in states:
        for key, (first, pos, last, value) in s.props.items():
            known = keys.get(key)
            if known is None:
                keys[key] = [first, pos, last, value]
                continue
            if (first, pos) < (known[0], known[1]):
                known[0], known[1] = first, pos
            if last > known[2]:
                known[2], known[3] = last, value
    data["properties"] = {
        key: v[3] for key, v in sorted(keys.items(), key=lambda kv: (kv[1][0], kv[1][1]))
    }
    data.update(_extra(rows))
    return data
