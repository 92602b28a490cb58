// Migration: the heads of the given audiences' chains (0 and $genesis before any).
UNWIND $audiences AS audience
OPTIONAL MATCH (c:Meta {key: 'audit-org:' + audience})
RETURN audience, coalesce(c.value, 0) AS org_seq, coalesce(c.hash, $genesis) AS org_hash
