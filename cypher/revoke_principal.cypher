MATCH (p:Principal {id: $id}) WHERE p.revoked_at IS NULL
SET p.revoked_at = $revoked_at RETURN count(p) AS revoked
