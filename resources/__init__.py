"""Data files of Studio Console (demo catalog, icons, desktop entry), installed as the package studio_console.resources."""
