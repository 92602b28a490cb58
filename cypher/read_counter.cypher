OPTIONAL MATCH (m:Meta {key: $key}) RETURN coalesce(m.value, 0) AS value
