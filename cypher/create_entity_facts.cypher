// Entity assertions as nodes of their own, found by the entity id (eid): no edge to
// write per assertion, and a hub's thousands of facts never weigh on its relations.
UNWIND $rows AS row
CREATE (:EFact {eid: row.id, seq: row.seq, org: row.org, marking: row.marking,
                shared: row.shared, confidence: row.confidence, kind: row.kind,
                name: row.name, region: row.region, status: row.status,
                properties: row.properties, identifier_kind: row.identifier_kind,
                value: row.value})
