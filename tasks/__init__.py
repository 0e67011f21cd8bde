"""Stage modules of the CCHC tracker: collect -> normalize -> verify -> compile -> deliver."""
