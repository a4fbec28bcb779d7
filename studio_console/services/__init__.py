"""Use cases on top of the OBS layer and adapters; they hold state as domain models, no Qt."""
