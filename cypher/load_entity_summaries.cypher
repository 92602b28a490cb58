// The stored summaries of the (entity, visibility class) keys a batch of reports
// states, read by the transaction that folds the new facts into them. No lock is
// taken here: the transaction moved the report counter first (next_counter), and
// a writer that moves it after ours waits for (Neo4j) or fails its commit against
// (ArcadeDB, retried) ours, so what is read here is what the folding must start from.
UNWIND $keys AS key
MATCH (s:ESum {skey: key})
RETURN s.skey AS skey, s.data AS data
