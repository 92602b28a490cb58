MERGE (m:Meta {key: $key}) ON CREATE SET m.value = 0
SET m.value = m.value + $by RETURN m.value AS value
