"""Accessible PDFs: every document the tool hands out is tagged PDF/UA-1.

A screen reader reads a tagged PDF in order, with headings and tables as such;
WeasyPrint writes the structure tree, the document language (from the HTML's
`lang`) and the PDF/UA identification when asked for the `pdf/ua-1` variant.
The HTML must carry a `<title>` and a `lang`.  One place, so the personal
result report and the plan PDF cannot drift apart.
"""

from __future__ import annotations

PDF_VARIANT = "pdf/ua-1"


def tagged_pdf(html: str) -> bytes:
    """The PDF/UA-1 rendering of a complete HTML document."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT)
