"""Application layer of projections: load, fold, store a batch."""
