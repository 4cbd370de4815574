"""Stage 1, data: the extract's contract, ingest, the synthetic generator, reference data and file I/O.

Modules: :mod:`~ehps_lib.data.contract` (the pandera data contract and dictionary),
:mod:`~ehps_lib.data.ingest` (validate, quarantine, publish ``data/processed/``),
:mod:`~ehps_lib.data.synth` (the calibrated synthetic extract),
:mod:`~ehps_lib.data.reference` (public reference data: boundaries, IMD, populations),
:mod:`~ehps_lib.data.io` (the only module that reads or writes files) and
:mod:`~ehps_lib.data.digests` (content digests of files and tables).

Nothing here imports from the later stages (indicators, papers, publish).
"""
