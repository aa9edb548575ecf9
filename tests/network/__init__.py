"""Tests for network."""
