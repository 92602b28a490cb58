// Summaries with the batch's facts folded in (read by load_entity_summaries).
UNWIND $rows AS row
MATCH (s:ESum {skey: row.skey})
SET s.data = row.data, s.seqs = row.seqs,
    s.at = CASE WHEN s.at IS NULL OR row.at < s.at THEN row.at ELSE s.at END
