// The ledger head, locked for the rest of the transaction (the SET), and the head of
// $audience's own chain (its counter: 0 and $genesis before its first record).
MERGE (m:Meta {key: 'audit'}) ON CREATE SET m.value = 0, m.hash = $genesis
SET m.locked_at = $at
WITH m
OPTIONAL MATCH (c:Meta {key: 'audit-org:' + $audience})
RETURN m.value AS seq, m.hash AS hash, coalesce(c.value, 0) AS org_seq,
       coalesce(c.hash, $genesis) AS org_hash
