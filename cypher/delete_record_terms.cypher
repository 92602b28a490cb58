// The index terms of records about to be rewritten.
UNWIND $keys AS key
MATCH (t:Term)-[:OF]->(r:Record {key: key})
DETACH DELETE t
