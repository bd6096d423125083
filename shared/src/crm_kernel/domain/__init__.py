"""Pure building blocks every bounded context shares: no I/O here."""
