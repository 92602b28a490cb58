CREATE (o:Org {id: $id, name: $name, type: $type, trusted: $trusted, created_at: $created_at})
