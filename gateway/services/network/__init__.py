"""The network: institutions, partnerships, OAuth clients and their keys, endpoints."""
