"""The till's screens and modal dialogs."""
