"""The assertions a store's graph carries, and the node and edge data that hold them.

Every node's data keeps its entity's facts under ``"facts"`` (one `EntityFact`
per assertion, oldest first) and every edge's its relation's (one `RelationFact`
each); a mask (``masks``) decides each fact by its visibility class, and the fields
are merged from the facts the caller sees. Both begin with (``seq``, ``vclass``,
``confidence``), so code that needs only those takes either (`Fact`).

Two types and not one: a relation states no kind, name or properties, and the
graph holds more relation facts than entity facts (3.4 million against 1 million
at 150,000 sellers), each five pointers smaller as a 3-tuple.

Performance notes (CPython 3.11, measured on this project's load path):

- The stores build facts with ``tuple.__new__(EntityFact, (...))``: a loaded graph
  holds millions. That costs about 0.2 us more a fact than a bare tuple (0.1 s on a
  4 s load of 630,000 facts, below the noise of the load's time); calling the class
  runs the Python ``__new__`` that ``NamedTuple`` generates, three times slower
  again, and ``_make`` is half as slow again.
- Read a field by name (``f.vclass``), not by position (``f[1]``): the interpreter's
  fast path for ``tuple[int]`` takes exact tuples only, so indexing a ``NamedTuple``
  is slower than its named field (about 50 ns against 38 ns; 30 ns on a bare tuple).
  Instances are as small as bare tuples (no ``__dict__``).

>>> f = EntityFact(7, 0, 0.5, "SELLER", "Golden Shoes", None, None, None)
>>> f.seq, f.confidence, f.kind, f == (7, 0, 0.5, "SELLER", "Golden Shoes", None, None, None)
(7, 0.5, 'SELLER', True)
>>> tuple.__new__(RelationFact, (8, 1, 0.75)).vclass
1
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Data", "EntityFact", "Fact", "RelationFact"]

Data = dict[str, Any]
"""A node's or an edge's data in a store's graph (networkx attribute dicts): the facts
under ``"facts"`` and what is merged from them (``confidence``, ``miss``, and for a
node ``kind``, ``name``, ``region``, ``status``...)."""


class EntityFact(NamedTuple):
    """One report's assertion of an entity."""

    seq: int  # the report key: reports numbered in the order the store received them
    vclass: int  # the report's visibility class (on Neo4j 0: a read returns the caller's)
    confidence: float
    kind: str  # an EntityKind value
    name: str | None
    region: str | None
    status: str | None
    properties: str | None  # the properties stated, as JSON text; None when none


class RelationFact(NamedTuple):
    """One report's assertion of a relation (its ends and kind are the edge's)."""

    seq: int
    vclass: int
    confidence: float


Fact = EntityFact | RelationFact
"""Either kind of fact: what code reading only the report key, the visibility class
or the confidence takes."""
