"""Stage 4, publish: run the templates, render, cache, scan and publish the site.

Modules: :mod:`~ehps_lib.publish.runner` (papermill's in-process engine),
:mod:`~ehps_lib.publish.render` (the built-in HTML/PDF engine and the Quarto engine),
:mod:`~ehps_lib.publish.cache` (completed runs by key),
:mod:`~ehps_lib.publish.disclosure` (the disclosure and privacy scan),
:mod:`~ehps_lib.publish.site` (the site's index) and :mod:`~ehps_lib.publish.build` (plan,
run in parallel, publish atomically).
"""
