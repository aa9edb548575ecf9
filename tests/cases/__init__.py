"""Tests for cases."""
