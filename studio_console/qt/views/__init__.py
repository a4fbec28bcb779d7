"""Widgets that render models and emit ``..._requested`` intents; they do no IO."""
