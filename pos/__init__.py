"""pos: the point-of-sale and O2O edge appliance."""
