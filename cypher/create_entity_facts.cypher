UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
SET e.reporters = CASE WHEN row.org IN coalesce(e.reporters, []) THEN e.reporters
                       ELSE coalesce(e.reporters, []) + row.org END
CREATE (f:EFact {seq: row.seq, org: row.org, marking: row.marking, shared: row.shared,
                 confidence: row.confidence, kind: row.kind, name: row.name,
                 region: row.region, status: row.status, properties: row.properties,
                 identifier_kind: row.identifier_kind, value: row.value})-[:OF]->(e)
