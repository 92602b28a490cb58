// The next audit record in one statement, chained to the heads this process saw last:
// the ledger's ($prev_seq) and its audience's ($prev_org_seq: the org whose admins see
// it, '' for none). The ledger head is locked first (the SET), then both are checked;
// nothing is written (no row returned) when another process moved either meanwhile,
// or the audience has no record yet. Also the last branch of a read that carries an
// operation's record (store/cypher.py `carrying_audit`).
MATCH (m:Meta {key: 'audit'})
SET m.locked = true
WITH m WHERE m.value = $prev_seq
MATCH (c:Meta {key: 'audit-org:' + $audience}) WHERE c.value = $prev_org_seq
SET m.value = $seq, m.hash = $hash, c.value = $org_seq, c.hash = $org_hash
CREATE (a:Audit {seq: $seq, at: $at, principal_id: $principal_id, org_id: $org_id,
                 operation: $operation, digest: $digest, prev_hash: $prev_hash, hash: $hash,
                 audience: $audience, org_seq: $org_seq, org_hash: $org_hash})
RETURN a.seq AS audit_seq
