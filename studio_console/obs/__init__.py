"""The only package that speaks obs-websocket: an async client, translation to domain events, reconnects."""
