"""Reading other CRMs' exports and writing dealgate's own."""
