// A batch's relation facts. Each end is looked up (or made) once, whatever its number
// of relations: $ends holds the distinct entity ids, and a row names its ends by their
// position in $ends (ArcadeDB spends most of an edge on the two lookups of its ends
// when each row matches them by id).
UNWIND $ends AS id
MERGE (e:Entity {id: id})
WITH collect(e) AS ends
UNWIND $rows AS row
WITH ends[row.source] AS a, ends[row.target] AS b, row
CREATE (a)-[:REL {seq: row.seq, org: row.org, marking: row.marking, shared: row.shared,
                  kind: row.kind, confidence: row.confidence, at: row.at}]->(b)
