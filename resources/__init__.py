"""Data files of Studio Console (demo catalog, icons, desktop entry), installed as studio_console.resources."""
