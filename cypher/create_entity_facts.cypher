UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
SET e.reporters = CASE WHEN $org IN coalesce(e.reporters, []) THEN e.reporters
                       ELSE coalesce(e.reporters, []) + $org END
CREATE (f:EFact {seq: $seq, org: $org, marking: $marking, shared: $shared,
                 confidence: $confidence, kind: row.kind, name: row.name, region: row.region,
                 status: row.status, properties: row.properties,
                 identifier_kind: row.identifier_kind, value: row.value})-[:OF]->(e)
