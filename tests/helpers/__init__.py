"""Fixtures and hand-written fakes shared by the test tiers."""
