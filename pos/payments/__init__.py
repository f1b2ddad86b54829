"""Tender providers: cash, and wallet codes through the providers' protocols."""
