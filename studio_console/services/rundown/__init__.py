"""The run of show: cues, timers, CSV, and the service that puts each cue on air."""
