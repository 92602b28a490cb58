// The whole chain (the operator's: graph-api audit verify), oldest first.
MATCH (a:Audit) WHERE a.seq > $after
RETURN a.seq AS seq, a.at AS at, a.principal_id AS principal_id, a.org_id AS org_id,
       a.operation AS operation, a.digest AS digest, a.prev_hash AS prev_hash, a.hash AS hash,
       a.audience AS audience, a.org_seq AS org_seq, a.org_hash AS org_hash
ORDER BY a.seq LIMIT $limit
