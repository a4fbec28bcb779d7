"""Stream sinks: where OBS sends the stream."""
