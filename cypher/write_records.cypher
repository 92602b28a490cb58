// Whole records (locked by lock_records, their old terms deleted) and their terms.
UNWIND $rows AS row
MATCH (r:Record {key: row.key})
SET r.version = row.version, r.sort = row.sort, r.terms = row.terms, r.doc = row.doc
FOREACH (tkey IN row.tkeys | CREATE (:Term {tkey: tkey, sort: row.sort, rid: row.id})-[:OF]->(r))
