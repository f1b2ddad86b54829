"""The cashier's terminal UI (Textual). Only this package and pos.cli import Textual."""
