"""Qt dialogs for Studio Console."""
