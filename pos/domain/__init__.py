"""The pure domain core: money, catalog, scans, the cart and staff; standard library only."""
