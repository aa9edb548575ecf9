"""Tests for referrals."""
