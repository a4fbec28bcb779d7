"""Pluggable adapters (stream sinks, chat sources) behind small protocols, found through entry points."""
