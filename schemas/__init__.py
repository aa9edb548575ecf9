"""Marshmallow wire schemas: the source of the OpenAPI document.

Input schemas reject unknown fields; output schemas are per audience.
"""
