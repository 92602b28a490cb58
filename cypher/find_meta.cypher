// Any of the store's own marks (layout, counters, the ledger head): whether a store
// has written to this database before.
MATCH (m:Meta) RETURN m.key AS key LIMIT 1
