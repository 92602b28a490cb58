// The reports after $after that the caller may see, oldest first (a feed's positions).
MATCH (r:Report)
WHERE r.seq > $after AND /*visible:r*/
RETURN r.seq AS seq, r.org AS org, r.received_at AS received_at
ORDER BY seq
