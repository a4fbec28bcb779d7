"""Chat sources: where live chat comes from."""
