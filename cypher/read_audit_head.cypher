// The ledger's head and $audience's (0 and $genesis before the first record): what an
// audit checkpoint anchors (graph_api/checkpoints.py).
OPTIONAL MATCH (m:Meta {key: 'audit'})
OPTIONAL MATCH (c:Meta {key: 'audit-org:' + $audience})
RETURN coalesce(m.value, 0) AS seq, coalesce(m.hash, $genesis) AS hash,
       coalesce(c.value, 0) AS org_seq, coalesce(c.hash, $genesis) AS org_hash
