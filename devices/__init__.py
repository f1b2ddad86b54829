"""Hardware adapters (scanners, printers, cash drawer, customer display) and their
simulators. Each adapter is a small typing.Protocol with a real implementation and a
simulator that pos.toml can select; none of them imports the TUI."""
