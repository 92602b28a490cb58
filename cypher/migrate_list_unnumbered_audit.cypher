// Migration: the oldest records after $after written before org-local numbering
// (no org_seq yet), by the seq index.
MATCH (a:Audit) WHERE a.seq > $after AND a.org_seq IS NULL
RETURN a.seq AS seq, a.at AS at, a.principal_id AS principal_id, a.org_id AS org_id,
       a.operation AS operation, a.digest AS digest
ORDER BY a.seq LIMIT $limit
