// Workflow records about to be written, locked before their versions are read
// (the SET takes the write lock); a missing one is made at version 0 and the same
// transaction writes it in full (write_records).
UNWIND $rows AS row
MERGE (r:Record {key: row.key})
ON CREATE SET r.kind = row.kind, r.id = row.id, r.version = 0
SET r.locked = true
RETURN r.key AS key, r.version AS version
