"""One report being built, and the network's bookkeeping of what it states."""

from __future__ import annotations

from graph_api.synthetic.draws import _conf
from graph_api.synthetic.state import _State
from graph_api.synthetic.world import Json


class _Bundle:
    """One report being built: entities restated once, relations once, identifier handles."""

    __slots__ = ("entities", "relations", "handles", "net")

    def __init__(self, net: _State) -> None:
        self.entities: dict[str, Json] = {}
        self.relations: list[Json] = []
        self.handles: dict[tuple[str, str], str] = {}
        self.net = net

    def add(self, entity: Json) -> str:
        old = self.entities.get(entity["id"])
        if old is None or len(old) < len(entity):
            self.entities[entity["id"]] = entity
        return str(entity["id"])

    def ref(self, eid: str, kind: str) -> str:
        if eid not in self.entities:
            self.entities[eid] = {"id": eid, "kind": kind}
        return eid

    def ident(self, idn: tuple[str, str]) -> str:
        handle = self.handles.get(idn)
        if handle is None:
            handle = self.handles[idn] = f"h{len(self.handles) + 1}"
            value = self.net.spell(idn)
            self.entities[handle] = {
                "id": handle, "kind": "IDENTIFIER", "identifierKind": idn[0], "value": value,
            }
        return handle

    def rel(self, kind: str, src: str, dst: str, conf: float, dst_key: str | None = None) -> None:
        """Add a relation; ``dst_key`` is the store-wide key of an identifier target."""
        self.relations.append({"kind": kind, "from": src, "to": dst, "confidence": conf})
        self.net.note_relation(src, kind, dst_key or dst, conf)

    def uses(self, src: str, idn: tuple[str, str], conf: float) -> None:
        if idn in self.net.fresh:  # counted once it is first stated
            self.net.fresh.discard(idn)
            self.net.entities += 1
        self.rel("USES", src, self.ident(idn), conf, idn[0] + ":" + idn[1])

    def report(
        self, org: str, source: str, marking: str, shared: tuple[str, ...] = (),
        evidence: list[Json] | None = None,
    ) -> Json:
        net = self.net
        net.seq += 1
        out: Json = {
            "reportId": f"{org}-{net.seq:07d}",
            "reportedBy": org,
            "source": source,
            "confidence": _conf(net.rng, 0.6, 0.95),
            "marking": marking,
        }
        if shared:
            out["sharedWith"] = list(shared)
        out["entities"] = list(self.entities.values())
        out["relations"] = self.relations
        if evidence:
            out["evidence"] = evidence
        net.assertions += len(self.relations)
        return out
