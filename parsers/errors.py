"""Typed errors for documents that cannot be parsed. Each names the file and the reason."""

from __future__ import annotations


class DocumentError(Exception):
    """A document that cannot be read. `reason` is a short machine-friendly code."""

    reason = "unreadable"

    def __init__(self, source: str, detail: str = "") -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"{source}: {self.reason}{': ' + detail if detail else ''}")

    def __reduce__(self) -> tuple:
        # Rebuilt from (source, detail), not from the message: an error coming back from a
        # parser process would otherwise carry the reason twice and lose `source`.
        return (type(self), (self.source, self.detail))


class EmptyDocument(DocumentError):
    reason = "empty file"


class NotAPdf(DocumentError):
    reason = "not a PDF"


class TruncatedPdf(DocumentError):
    reason = "truncated or corrupt PDF"


class EncryptedPdf(DocumentError):
    reason = "encrypted PDF"


class NoTextLayer(DocumentError):
    reason = "no text layer (scanned image?)"


class UnsupportedFormat(DocumentError):
    reason = "unsupported format"


class ParseTimeout(DocumentError):
    reason = "parse exceeded its time budget"
