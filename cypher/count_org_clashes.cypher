MATCH (o:Org) WHERE o.id = $id OR o.name = $name RETURN count(o) AS clashes
