"""Tests for inner."""
