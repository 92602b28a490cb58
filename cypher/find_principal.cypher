MATCH (p:Principal {id: $id}) RETURN p.id AS id, p.org AS org, p.role AS role
