MATCH (p:Principal {token_hash: $token_hash}) WHERE p.revoked_at IS NULL
RETURN p.id AS id, p.org AS org, p.role AS role
