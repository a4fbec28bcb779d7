"""Chat: the hub that merges sources, buyer intent, the viewer book."""
