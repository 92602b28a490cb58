MATCH (m:Meta {key: 'audit'})
SET m.value = $seq, m.hash = $hash
CREATE (a:Audit {seq: $seq, at: $at, principal_id: $principal_id, org_id: $org_id,
                 operation: $operation, digest: $digest, prev_hash: $prev_hash, hash: $hash})
