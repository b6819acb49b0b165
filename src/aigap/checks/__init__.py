"""Model quality checks: units (:mod:`.units`)."""
