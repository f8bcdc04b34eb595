"""The use cases, each written once and called by the command line, the web and the demo.

- :mod:`.measurements`: record a measurement file (derive Jc(B), read the objectives, store all);
- :mod:`.simulations`: record a simulation, done or failed;
- :mod:`.suggest`: the campaign's optimizer on its history, and asking it for suggestions;
- :mod:`.history`: best-so-far series of a campaign's history;
- :mod:`.sweep`: variants of a simulation case run on Dask, cached by case key;
- :mod:`.calibrate`: a case fitted to measured series files on Dask (the sweep's cache),
  predictions, calibrate.json and figures, and the calibration recorded in the store.

Workflows take a ``Store`` and plain values; the kernels they call (``magnetometry``,
``optimize``, ``simulate``, ``calibrate``) know nothing of the store, and the store knows nothing of them.
From Python (a measurement file's bytes; the bar's edges a <= b across the field, c along it, m):

    from fluxtrap.workflows.measurements import record_measurement
    from fluxtrap.workflows.suggest import suggest
    done = record_measurement(store, "K-Ba122 SPS", "B2", "B2.dat", data, (0.5e-3, 1.2e-3, 2.8e-3))
    done.objectives, done.errors        # {"jc_3T": A/m^2}, their 1-sigma (A/m^2)
    suggest(store, "K-Ba122 SPS", n=2)  # SuggestionRecords, stored as open
"""
