"""Small mechanisms every layer shares: listeners, the task runner with its latest-wins rule, back-off."""
