// Migration to views as of a time: each report's time (microseconds since the epoch).
UNWIND $rows AS row
MATCH (r:Report {seq: row.seq})
SET r.at = row.at
