// Each principal's newest audit record's time (one pass over the ledger: no index is
// kept for it on the path of every operation): graph-api token list.
MATCH (a:Audit)
WITH a.principal_id AS principal_id, max(a.seq) AS seq
MATCH (b:Audit {seq: seq})
RETURN principal_id, b.at AS at
