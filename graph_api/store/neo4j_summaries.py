"""Entity summaries for the Neo4j store: one ``(:ESum)`` per entity and visibility class.

An entity's assertions fall into visibility classes (reporting org, marking,
``sharedWith``): a caller sees a class whole or not at all. The store keeps one
summary node per (entity, class), written with the facts:

- ``skey`` (entity id and class joined, unique), ``eid``, and the class's
  ``org``, ``marking`` and ``shared``, which the visibility fragment reads;
- ``first_seq`` and ``kind`` of the class's first fact, ``count``;
- ``state``: JSON. While the class holds at most ``INLINE`` facts, the facts
  themselves (``{"facts": [...]}``); past that, what merging needs: the
  running noisy-OR miss, the latest name, region and status with the report
  key that set them, every property key with the keys that first and last set
  it, the identifier, and the class's facts move to ``(:EFact {eid})`` nodes.

A read fetches the caller's visible summaries of an entity: a handful of
rows, even for a brand stated 20,000 times. When every visible class is
inline, the node is merged from the facts exactly as the embedded store
merges them (``merged_node``). Otherwise the fields are merged from the
summaries — the latest value by report key, properties key by key — which
gives the same answer as merging the facts in report order; the facts list
becomes `LazyFacts`, fetched only if someone reads it (an entity's assertions).

Confidence is the one field whose float value depends on the order of the
multiplications. One visible class: its running miss is exactly the product
the embedded store computes. Several: when the product of their misses is
below 2**-60 (hubs: thousands of facts) 1 - miss rounds to 1.0 whatever the
order (the rounding errors are relative, at most about n * 2**-53), so the
answer is 1.0 exactly; otherwise the facts are fetched and multiplied in
report order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import orjson

from graph_api.store.scoped_view import merged_node

__all__ = [
    "INLINE",
    "ClassState",
    "LazyFacts",
    "class_key",
    "fact_tuple",
    "merged_properties",
    "node_from_facts",
    "node_from_summaries",
]

Data = dict[str, Any]
Fact = tuple[Any, ...]
Row = dict[str, Any]
INLINE = 32  # facts a class keeps in its summary; a class stated more often is a hub
TINY_MISS = 2.0**-60  # below it, 1 - miss == 1.0 in any multiplication order
SEP = "\x1f"


def class_key(eid: str, org: str, marking: str, shared: Iterable[str]) -> str:
    """The summary key of an entity's visibility class."""
    return SEP.join((eid, org, marking, ",".join(sorted(shared))))


def fact_tuple(f: Sequence[Any]) -> Fact:
    """A stored fact ``[seq, conf, kind, name, region, status, props, ident_kind, value]``
    as the embedded graph's node fact ``(seq, class, conf, kind, name, region, status,
    props)`` (the class is 0: what a read returns is already the caller's)."""
    return (f[0], 0, f[1], f[2], f[3], f[4], f[5], f[6])


def merged_properties(facts: Iterable[Fact]) -> dict[str, Any]:
    """Properties merged over facts oldest first: later values win (reads.py's rule)."""
    merged: dict[str, Any] = {}
    for fact in facts:
        if fact[7]:
            merged.update(orjson.loads(fact[7]))
    return merged


@dataclass
class ClassState:
    """One (entity, class) summary as the writer keeps it up to date."""

    count: int = 0
    facts: list[list[Any]] | None = field(default_factory=list)  # inline, oldest first
    last: int = 0
    miss: float = 1.0
    name: list[Any] | None = None  # [seq, value] of the latest non-null
    region: list[Any] | None = None
    status: list[Any] | None = None
    props: dict[str, list[Any]] = field(default_factory=dict)  # key: [first, pos, last, value]
    ident: list[Any] | None = None  # [seq, kind, value]

    @classmethod
    def load(cls, count: int, state: str) -> ClassState:
        raw = orjson.loads(state)
        if "facts" in raw:
            out = cls(count=0)
            for fact in raw["facts"]:
                out.add(fact)
            return out
        return cls(count=count, facts=None, last=raw["last"], miss=raw["miss"],
                   name=raw["name"], region=raw["region"], status=raw["status"],
                   props=raw["props"], ident=raw["ident"])

    def dump(self) -> str:
        if self.facts is not None:
            return orjson.dumps({"facts": self.facts}).decode()
        return orjson.dumps({
            "last": self.last, "miss": self.miss, "name": self.name, "region": self.region,
            "status": self.status, "props": self.props, "ident": self.ident,
        }).decode()

    def add(self, fact: list[Any]) -> list[list[Any]]:
        """Add one fact (report keys ascending); the facts that leave the summary for
        ``EFact`` nodes (all of them when the class passes ``INLINE``)."""
        seq, conf, _, name, region, status, props, ident_kind, value = fact
        self.count += 1
        self.last = seq
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
        if self.facts is None:
            return [fact]
        self.facts.append(fact)
        if len(self.facts) <= INLINE:
            return []
        moved, self.facts = self.facts, None
        return moved


class LazyFacts(Sequence[Fact]):
    """An entity's visible facts, fetched on first use (its count is known already)."""

    def __init__(self, count: int, load: Callable[[], list[Fact]]) -> None:
        self._count = count
        self._load: Callable[[], list[Fact]] | None = load
        self._facts: list[Fact] = []

    def _all(self) -> list[Fact]:
        if self._load is not None:
            self._facts, self._load = self._load(), None
        return self._facts

    def __len__(self) -> int:
        return self._count if self._load is not None else len(self._facts)

    @overload
    def __getitem__(self, index: int) -> Fact: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Fact]: ...
    def __getitem__(self, index: int | slice) -> Fact | Sequence[Fact]:
        return self._all()[index]

    def __iter__(self) -> Iterator[Fact]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "fetched" if self._load is None else "not fetched"
        return f"LazyFacts({self._count} facts, {state})"


def node_from_facts(facts: list[Fact], rows: Iterable[Row]) -> Data:
    """Node data from an entity's visible facts (oldest first): the embedded store's
    merge, with the merged properties, reporters and identifier of the facts."""
    data = merged_node(facts)
    data["properties"] = merged_properties(facts)
    data.update(_extra(rows))
    return data


def _extra(rows: Iterable[Row]) -> Data:
    """Reporters (orgs of the visible classes, first stated first) and the identifier
    value of the latest visible fact that carries one."""
    ordered = sorted(rows, key=lambda r: r["first_seq"])
    reporters: list[str] = []
    ident: list[Any] | None = None
    for r in ordered:
        if r["org"] not in reporters:
            reporters.append(r["org"])
        found = r["_state"].ident
        if found is not None and (ident is None or found[0] > ident[0]):
            ident = found
    out: Data = {"reporters": reporters}
    if ident is not None:
        out["identifier_kind"], out["value"] = ident[1], ident[2]
    return out


def node_from_summaries(rows: list[Row], load_hub_facts: Callable[[], list[Fact]]) -> Data:
    """Node data of one entity from the caller's visible summary rows (``first_seq``,
    ``org``, ``count``, ``state``); ``load_hub_facts`` fetches the visible facts of its
    classes that are not inline, oldest first."""
    for r in rows:
        if "_state" not in r:
            r["_state"] = ClassState.load(r["count"], r["state"])
    states: list[ClassState] = [r["_state"] for r in sorted(rows, key=lambda r: r["first_seq"])]
    inline = [fact_tuple(f) for s in states if s.facts is not None for f in s.facts]
    if all(s.facts is not None for s in states):
        return node_from_facts(sorted(inline, key=lambda f: f[0]), rows)

    def load() -> list[Fact]:
        return sorted(inline + load_hub_facts(), key=lambda f: f[0])

    facts = LazyFacts(sum(s.count for s in states), load)
    ordered = sorted(rows, key=lambda r: r["first_seq"])
    data: Data = {"kind": ordered[0]["kind"]}
    for name in ("name", "region", "status"):
        latest = max((getattr(s, name) for s in states if getattr(s, name) is not None),
                     default=None, key=lambda v: v[0])
        data[name] = None if latest is None else latest[1]
    miss = 1.0
    for s in states:
        miss *= s.miss
    if len(states) == 1:
        confidence = 1.0 - states[0].miss
    elif miss < TINY_MISS:
        confidence = 1.0
    else:  # the exact product needs the facts in report order
        exact = merged_node(list(facts))
        miss, confidence = exact["miss"], exact["confidence"]
    data["miss"], data["confidence"], data["facts"] = miss, confidence, facts
    keys: dict[str, list[Any]] = {}
    for s in states:
        for key, (first, pos, last, value) in s.props.items():
            known = keys.get(key)
            if known is None:
                keys[key] = [first, pos, last, value]
            else:
                if (first, pos) < (known[0], known[1]):
                    known[0], known[1] = first, pos
                if last > known[2]:
                    known[2], known[3] = last, value
    data["properties"] = {
        key: v[3] for key, v in sorted(keys.items(), key=lambda kv: (kv[1][0], kv[1][1]))
    }
    data.update(_extra(rows))
    return data

