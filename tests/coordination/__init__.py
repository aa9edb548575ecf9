"""Tests for coordination."""
