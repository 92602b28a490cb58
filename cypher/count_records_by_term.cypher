MATCH (t:Term {tkey: $tkey}) RETURN count(t) AS count
