// Workflow records carrying one index term (tkey: kind and term joined) in (sort, id)
// order (ASC), at most $sort_max, strictly after the keyset cursor when given.
MATCH (t:Term {tkey: $tkey})-[:OF]->(r:Record)
WHERE ($sort_max IS NULL OR t.sort <= $sort_max)
  AND ($after_sort IS NULL OR t.sort > $after_sort
       OR (t.sort = $after_sort AND t.rid > $after_id))
RETURN r.kind AS kind, r.id AS id, r.version AS version, r.sort AS sort, r.terms AS terms,
       r.doc AS doc
ORDER BY t.sort ASC, t.rid ASC
LIMIT $limit
