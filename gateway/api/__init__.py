"""The partner API: one flask-smorest blueprint per resource."""
