"""Referrals: intake, reads, lifecycle, access, attachments, SLAs and metrics."""
