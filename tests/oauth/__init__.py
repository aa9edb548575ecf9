"""Tests for oauth."""
