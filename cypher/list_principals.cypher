// Every principal (of $org, when given), revoked or not: graph-api token list.
MATCH (p:Principal) WHERE $org IS NULL OR p.org = $org
RETURN p.id AS id, p.org AS org, p.role AS role, p.created_at AS created_at,
       p.revoked_at AS revoked_at
ORDER BY p.org, p.created_at, p.id
