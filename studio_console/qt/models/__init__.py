"""Qt models for Studio Console."""
