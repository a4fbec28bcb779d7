"""Products: the product show on air, the catalog keeper and store, import formats."""
