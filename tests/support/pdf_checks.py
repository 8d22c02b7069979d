"""What a screen-reader user's PDF reader relies on, read back with pypdf."""

from __future__ import annotations

import io

import pypdf


def read_tagged_pdf(document: bytes) -> tuple[pypdf.PdfReader, str]:
    """The reader and the whole text, after asserting the PDF is tagged PDF/UA.

    Tagged: /MarkInfo /Marked true and a structure tree; PDF/UA: the
    `pdfuaid:part="1"` identification in the XMP metadata; a document language.
    """
    reader = pypdf.PdfReader(io.BytesIO(document))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/K" in root["/StructTreeRoot"]
    assert str(root["/Lang"]) in ("sv", "en")
    metadata = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in metadata
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, text
