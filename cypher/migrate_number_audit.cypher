// Migration: records' audiences, numbers and org chain hashes, and each audience's
// head after them.
UNWIND $records AS r
MATCH (a:Audit {seq: r.seq})
SET a.audience = r.audience, a.org_seq = r.org_seq, a.org_hash = r.org_hash
WITH count(*) AS numbered
UNWIND $heads AS h
MERGE (c:Meta {key: 'audit-org:' + h.audience})
SET c.value = h.org_seq, c.hash = h.org_hash
