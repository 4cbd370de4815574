"""Reading a PDF as a screen reader would, for the tests of both PDF writers and the Quarto path."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader


def pdf_alt_texts(pdf: Path | bytes) -> list[str]:
    """The alt text of every tagged figure of a PDF (its structure tree's /Figure /Alt), in order."""
    root = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else str(pdf)).trailer["/Root"]
    alts: list[str] = []

    def walk(node, seen):
        node = node.get_object() if hasattr(node, "get_object") else node
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, dict):
            if node.get("/S") == "/Figure" and node.get("/Alt"):
                alts.append(str(node["/Alt"]))
            kids = node.get("/K")
            if kids is not None:
                walk(kids, seen)
        elif isinstance(node, list):
            for kid in node:
                walk(kid, seen)

    if "/StructTreeRoot" in root:
        walk(root["/StructTreeRoot"], set())
    return alts
