"""Stage 2, indicators: the catalogue, the engine, statistics, suppression and assessment.

Modules: :mod:`~ehps_lib.indicators.catalogue` (``catalogue.yml``: every indicator, defined
once), :mod:`~ehps_lib.indicators.engine` (monthly counts → every area and period),
:mod:`~ehps_lib.indicators.stats` (intervals, RAG, direction, comparison, rank, SPC),
:mod:`~ehps_lib.indicators.suppression` and :mod:`~ehps_lib.indicators.assess` (suppression
first, then every statistic from published values), :mod:`~ehps_lib.indicators.public`
(CYPF indicators from public data), :mod:`~ehps_lib.indicators.deprivation` (the deprivation
gradient) and :mod:`~ehps_lib.indicators.results` (one period's results, computed and
written).

Reads the data stage only; never the papers or publish stages.
"""
