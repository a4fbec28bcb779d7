"""Studio Console: a control room for live-shopping streams that drives OBS Studio."""

__version__ = "0.1.0"
APP_NAME = "Studio Console"
APP_ID = "studio-console"
