// The next audit record, after lock_audit_head in the same transaction: the ledger's
// head and its audience's (the org whose admins see it; '' for none) move to it.
MATCH (m:Meta {key: 'audit'})
SET m.value = $seq, m.hash = $hash
MERGE (c:Meta {key: 'audit-org:' + $audience})
SET c.value = $org_seq, c.hash = $org_hash
CREATE (a:Audit {seq: $seq, at: $at, principal_id: $principal_id, org_id: $org_id,
                 operation: $operation, digest: $digest, prev_hash: $prev_hash, hash: $hash,
                 audience: $audience, org_seq: $org_seq, org_hash: $org_hash})
