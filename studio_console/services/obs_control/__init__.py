"""OBS control: scene switching, outputs and audio, screenshots, starter scenes."""
