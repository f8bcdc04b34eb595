"""The use cases, each written once and called by the command line, the web and the demo.

- :mod:`.measurements`: record a measurement file (derive Jc(B), read the objectives, store all);
- :mod:`.simulations`: record a simulation, done or failed;
- :mod:`.suggest`: the campaign's optimizer on its history, and asking it for suggestions;
- :mod:`.history`: best-so-far series of a campaign's history;
- :mod:`.sweep`: variants of a simulation case run on Dask, cached by case key.

Workflows take a ``Store`` and plain values; the kernels they call (``magnetometry``,
``optimize``, ``simulate``) know nothing of the store, and the store knows nothing of them.
"""
