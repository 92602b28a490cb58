// Migration to views as of a time: the feeds' change log takes its reports' times.
MATCH (l:ReportLog)
WHERE l.at IS NULL
WITH l LIMIT $limit
MATCH (r:Report {seq: l.seq})
SET l.at = r.at
RETURN count(l) AS done
