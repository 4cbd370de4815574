"""The workspace's style sheet, for published pages and for blocks shown in JupyterLab.

Published pages carry the whole sheet (``templates/ehps.css`` then ``templates/css/*.css``).
In JupyterLab a :class:`~ehps_lib.papers.blocks.Block` shows itself with the same styles (RAG
colours, captions, figures), scoped to a wrapper so that they never restyle the Lab itself:
every rule is prefixed with ``.ehps-lab`` (``:root``, ``html`` and ``body`` become the wrapper),
and page rules (``@page``) are left out. The wrapper is added only in an interactive kernel;
a build's runner turns it off (``EHPS_INLINE_STYLES=0``) and the built-in renderer strips it
from notebooks executed elsewhere, so published pages never hold it.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from importlib import resources

LAB_SCOPE = "ehps-lab"
#: Marks the style element of a Block shown in JupyterLab (stripped from published pages).
LAB_STYLE_ATTR = "data-ehps-lab-styles"
_LAB_WRAPPED = re.compile(rf'^<div class="{LAB_SCOPE}"><style {LAB_STYLE_ATTR}="">.*?</style>(?P<body>.*)</div>$',
                          re.DOTALL)


def _template_text(*parts: str) -> str:
    return resources.files("ehps_lib").joinpath("templates", *parts).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def workspace_css() -> str:
    """The page's style sheet: ``templates/ehps.css`` then every ``templates/css/*.css``
    (one file per module that adds its own components), in name order."""
    parts = [_template_text("ehps.css")]
    folder = resources.files("ehps_lib").joinpath("templates", "css")
    if folder.is_dir():
        for item in sorted(folder.iterdir(), key=lambda f: f.name):
            if item.name.endswith(".css"):
                parts.append(f"/* {item.name} */\n" + item.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _scope_selector(selector: str, scope: str) -> str:
    s = selector.strip()
    if not s:
        return s
    root = re.match(r"^(:root|html|body)\b(.*)$", s)
    if root:
        return f"{scope}{root.group(2)}"
    return f"{scope} {s}"


def scope_css(css: str, scope: str) -> str:
    """Prefix every selector of ``css`` with ``scope``; drop ``@page`` and ``@font-face`` rules.

    Rules inside ``@media`` blocks are scoped too. Comments are removed.

    Examples
    --------
    >>> scope_css(":root { --a: 1; } table, th { color: red; } @page { size: A4; }", ".x")
    '.x { --a: 1; }\\n.x table, .x th { color: red; }'
    >>> scope_css("@media print { h2 { margin: 0; } }", ".x")
    '@media print {\\n.x h2 { margin: 0; }\\n}'
    """
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    out: list[str] = []
    i, n = 0, len(css)
    while i < n:
        brace = css.find("{", i)
        if brace < 0:
            break
        head = css[i:brace].strip()
        # find the matching close brace
        depth, j = 1, brace + 1
        while j < n and depth:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        inner = css[brace + 1:j - 1]
        if head.startswith("@media") or head.startswith("@supports"):
            scoped = scope_css(inner, scope)
            if scoped:
                out.append(f"{head} {{\n{scoped}\n}}")
        elif head.startswith("@"):
            pass  # @page, @font-face, @keyframes: nothing to show in a notebook
        else:
            selectors = ", ".join(_scope_selector(s, scope) for s in head.split(","))
            out.append(f"{selectors} {{ {' '.join(inner.split())} }}")
        i = j
    return "\n".join(out)


@lru_cache(maxsize=1)
def lab_css() -> str:
    """The workspace's style sheet scoped to the JupyterLab wrapper."""
    return scope_css(workspace_css(), f".{LAB_SCOPE}")


def inline_styles_wanted() -> bool:
    """True in an interactive kernel (JupyterLab, a notebook) unless ``EHPS_INLINE_STYLES=0``."""
    setting = os.environ.get("EHPS_INLINE_STYLES")
    if setting is not None:
        return setting.strip() not in ("0", "false", "no", "")
    return "ipykernel" in sys.modules


def for_lab(html: str) -> str:
    """``html`` wrapped with the scoped styles when shown in an interactive kernel, else as is."""
    if not inline_styles_wanted():
        return html
    return f'<div class="{LAB_SCOPE}"><style {LAB_STYLE_ATTR}="">{lab_css()}</style>{html}</div>'


def strip_lab_styles(html: str) -> str:
    """The block's own HTML from an output made by :func:`for_lab` (unchanged otherwise).

    Examples
    --------
    >>> strip_lab_styles('<div class="ehps-lab"><style data-ehps-lab-styles="">p{}</style><p>x</p></div>')
    '<p>x</p>'
    >>> strip_lab_styles('<p>x</p>')
    '<p>x</p>'
    """
    m = _LAB_WRAPPED.match(html)
    return m.group("body") if m else html
