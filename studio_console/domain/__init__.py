"""Immutable domain models and events: no IO, no Qt."""
