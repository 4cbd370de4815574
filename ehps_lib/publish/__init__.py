"""Stage 4, publish: run the templates, render, cache, scan and publish the site.

Modules: :mod:`~ehps_lib.publish.runner` (papermill's in-process engine),
:mod:`~ehps_lib.publish.render` (the built-in HTML/PDF engine and the Quarto engine),
:mod:`~ehps_lib.publish.typst_pdf` (the built-in engine's PDF writer), :mod:`~ehps_lib.publish.audit`
(the intruder audit),
:mod:`~ehps_lib.publish.cache` (completed runs by key),
:mod:`~ehps_lib.publish.disclosure` (the disclosure and privacy scan),
:mod:`~ehps_lib.publish.site` (the site's index) and :mod:`~ehps_lib.publish.build` (plan,
run in parallel, publish atomically).
"""

import os as _os
import sys as _sys

#: True in a process forked from one that had loaded Typst: Typst's threads do not survive a fork,
#: so :func:`ehps_lib.publish.typst_pdf.pdf_bytes` runs Typst in a fresh process there. Registered
#: here, as the package is imported, so that it is in place before any fork of a process that uses it.
TYPST_INHERITED = [False]


def _after_fork() -> None:
    TYPST_INHERITED[0] = TYPST_INHERITED[0] or "typst" in _sys.modules


_os.register_at_fork(after_in_child=_after_fork)
