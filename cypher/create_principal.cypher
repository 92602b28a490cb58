CREATE (p:Principal {id: $id, org: $org, role: $role, token_hash: $token_hash,
                     created_at: $created_at})
