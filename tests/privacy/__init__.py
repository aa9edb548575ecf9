"""Tests for privacy."""
