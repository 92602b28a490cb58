MATCH (r:Record {kind: $kind}) WHERE r.doc IS NOT NULL RETURN count(r) AS count
