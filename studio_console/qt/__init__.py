"""The Qt edge: thin views over the core, one bridge between them."""
