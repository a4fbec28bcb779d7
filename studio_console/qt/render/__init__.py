"""Qt render for Studio Console."""
