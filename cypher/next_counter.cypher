MERGE (m:Meta {key: $key}) ON CREATE SET m.value = 0
SET m.value = m.value + 1 RETURN m.value AS value
