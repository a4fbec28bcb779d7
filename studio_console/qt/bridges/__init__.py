"""Qt bridges, one per service: core listeners become signals, panel intents become core calls. Nothing else."""
