MATCH (o:Org) RETURN o.id AS id, o.name AS name, o.type AS type, o.trusted AS trusted ORDER BY o.id
