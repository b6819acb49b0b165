"""Analysis: sweeps, global sensitivity (Sobol, Morris), calibration, scenario discovery, reports.

Array-level modules are pure functions in the SALib style (``sample(problem, N, seed)`` /
``analyze(problem, Y)``): :mod:`.distributions`, :mod:`.samplers`, :mod:`.conditions`,
:mod:`.sobol`, :mod:`.morris`, :mod:`.prim`, :mod:`.calibrate`. The model-level jobs
(sweep files, run folders, plots, commands) build on them and on :mod:`aigap.engine`.
"""
