"""Tests for ops."""
