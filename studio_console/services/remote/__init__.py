"""The remote-control API endpoints (Stream Deck, Companion, scripts)."""
