// The stored summaries of the (entity, visibility class) keys a batch of reports
// states, locked for the transaction that folds the new facts into them.
UNWIND $keys AS key
MATCH (s:ESum {skey: key})
SET s.locked = true
RETURN s.skey AS skey, s.data AS data
