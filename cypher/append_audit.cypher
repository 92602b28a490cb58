// The next audit record in one statement, chained to the head this process saw last
// ($prev_seq): the head is locked first (the SET), then checked; nothing is written
// (no row returned) when another process moved it meanwhile. Also the last branch of a
// read that carries an operation's record (store/cypher.py `carrying_audit`).
MATCH (m:Meta {key: 'audit'})
SET m.locked = true
WITH m WHERE m.value = $prev_seq
SET m.value = $seq, m.hash = $hash
CREATE (a:Audit {seq: $seq, at: $at, principal_id: $principal_id, org_id: $org_id,
                 operation: $operation, digest: $digest, prev_hash: $prev_hash, hash: $hash})
RETURN a.seq AS audit_seq
