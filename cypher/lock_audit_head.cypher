MERGE (m:Meta {key: 'audit'}) ON CREATE SET m.value = 0, m.hash = $genesis
SET m.locked_at = $at RETURN m.value AS seq, m.hash AS hash
