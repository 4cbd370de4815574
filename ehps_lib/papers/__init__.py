"""Stage 3, papers: the blocks every paper shares, and one module per paper.

Shared: :mod:`~ehps_lib.papers.scorecard_data` (the published results a paper reads),
:mod:`~ehps_lib.papers.blocks` (Block, badges, table helpers, formatting, the synthetic-data
banner), :mod:`~ehps_lib.papers.sections` (title, summary table, definitions),
:mod:`~ehps_lib.papers.charts`, :mod:`~ehps_lib.papers.maps`,
:mod:`~ehps_lib.papers.needs` (deprivation maps, profiles and gradient),
:mod:`~ehps_lib.papers.narrative` (sentences with every number traced) and
:mod:`~ehps_lib.papers.commentary` (the analysts' commentary files).

One module per paper, named like its template in ``notebooks/``:
:mod:`~ehps_lib.papers.scorecard`, :mod:`~ehps_lib.papers.county_scorecard`,
:mod:`~ehps_lib.papers.district_dashboard`, :mod:`~ehps_lib.papers.committee_paper` and
:mod:`~ehps_lib.papers.imd_atlas`. A notebook imports its paper module only.

Reads the data and indicators stages; never the publish stage.
"""
