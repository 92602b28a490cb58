// Tests only: an empty database.
MATCH (n) DETACH DELETE n
