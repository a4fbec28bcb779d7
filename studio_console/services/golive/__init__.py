"""Going live: the start/stop state machine, destinations, preflight."""
