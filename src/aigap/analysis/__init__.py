"""Analysis: sweeps, global sensitivity, calibration, posteriors, discovery, loops, reports.

File names say what a module is:

- **methods** (pure functions over arrays, SALib style ``sample(problem, N, seed)`` /
  ``analyze(problem, Y)``): :mod:`.distributions`, :mod:`.samplers`, :mod:`.problem`,
  :mod:`.conditions`, :mod:`.sobol`, :mod:`.morris`, :mod:`.prim`, :mod:`.fitting`
  (least-squares fit), :mod:`.mcmc` (posterior sampling and diagnostics), :mod:`.ltm`
  (Loops That Matter scores), :mod:`.ensemble` (design -> parameter arrays);
- **files** (schema-first loaders of the YAML a user writes): ``*_file.py``;
- **jobs** (read files, call the engine, write a run folder): ``*_job.py`` and
  :mod:`.report`;
- **plots** ``*plots.py`` and **commands** ``*cli.py`` on top.
"""
