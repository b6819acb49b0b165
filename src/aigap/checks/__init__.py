"""Model and file quality checks: input files (:mod:`.files`), units (:mod:`.units`),
declarative reality checks (:mod:`.spec` schema, :mod:`.predicates` pure functions,
:mod:`.run` job) and the comparison report of a model change (:mod:`.structure`,
:mod:`.compare` methods; :mod:`.diffjob` job with :mod:`.diffplots` and :mod:`.diffreport`)."""
