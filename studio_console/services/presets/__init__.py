"""Creator presets: a creator's whole show (brand, products, destinations, chat, OBS set-up) in one switch."""
