"""The overlay: the app-owned OBS scene with card slots, where it shows, and chat on air."""
