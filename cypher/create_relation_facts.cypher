UNWIND $rows AS row
MATCH (a:Entity {id: row.source})
MATCH (b:Entity {id: row.target})
CREATE (a)-[:REL {seq: row.seq, org: row.org, marking: row.marking, shared: row.shared,
                  kind: row.kind, confidence: row.confidence}]->(b)
