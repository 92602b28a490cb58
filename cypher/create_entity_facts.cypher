// The facts of hub classes (stated more often than a summary keeps inline), found by
// the entity id (eid): read only when someone asks for a hub's every assertion. A fact
// leaving its summary may be older than this batch: its time is its report's.
UNWIND $rows AS row
MATCH (r:Report {seq: row.seq})
CREATE (:EFact {eid: row.id, seq: row.seq, org: row.org, marking: row.marking,
                shared: row.shared, confidence: row.confidence, kind: row.kind,
                name: row.name, region: row.region, status: row.status,
                properties: row.properties, identifier_kind: row.identifier_kind,
                value: row.value, at: r.at})
