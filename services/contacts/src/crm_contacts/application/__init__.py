"""Use cases of the contacts context that span more than one stream."""
