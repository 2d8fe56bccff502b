"""`make bench`: the performance targets of the create operation, each measured as a ratio
against a baseline taken in the same run."""
