// What the caller's visible reports in ($after, $upto] stated (graph_api.store.events).
MATCH (l:ReportLog)
WHERE l.seq > $after AND l.seq <= $upto AND /*visible:l*/
RETURN l.seq AS seq, l.entities AS entities, l.sources AS sources, l.kinds AS kinds,
       l.targets AS targets
