// Migration to views as of a time: each (:VClass) takes its first report's time.
UNWIND $rows AS row
MATCH (c:VClass {key: row.key})
SET c.at = row.at
