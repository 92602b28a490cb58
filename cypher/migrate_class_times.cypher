// Migration to views as of a time: each visibility class's earliest report time.
MATCH (r:Report)
RETURN r.org AS org, r.marking AS marking, r.shared AS shared, min(r.at) AS at
