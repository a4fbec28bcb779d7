"""Settings: the versioned model, its atomic store, file locations and secrets."""
