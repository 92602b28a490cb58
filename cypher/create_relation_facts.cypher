UNWIND $rows AS row
MATCH (a:Entity {id: row.source}), (b:Entity {id: row.target})
CREATE (a)-[:REL {seq: $seq, org: $org, marking: $marking, shared: $shared,
                  kind: row.kind, confidence: row.confidence}]->(b)
