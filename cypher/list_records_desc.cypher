// Every workflow record of a kind in (sort, id) order (DESC), at most $sort_max,
// strictly after the keyset cursor ($after_sort, $after_id) when given.
MATCH (r:Record {kind: $kind})
WHERE r.doc IS NOT NULL AND ($sort_max IS NULL OR r.sort <= $sort_max)
  AND ($after_sort IS NULL OR r.sort < $after_sort
       OR (r.sort = $after_sort AND r.id < $after_id))
RETURN r.kind AS kind, r.id AS id, r.version AS version, r.sort AS sort, r.terms AS terms,
       r.doc AS doc
ORDER BY r.sort DESC, r.id DESC
LIMIT $limit
