"""Stores: the GraphStore protocol, the embedded store and the Neo4j store."""
