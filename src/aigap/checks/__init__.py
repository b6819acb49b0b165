"""Model and file quality checks: input files (:mod:`.files`), units (:mod:`.units`)."""
