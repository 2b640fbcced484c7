"""Broken and malicious PDFs, written byte by byte (no library would write most of them).

`build_pdf` lays out numbered objects with a correct cross-reference table unless told not to;
the named builders below each attack one part of a PDF reader. `hostile_corpus()` returns them
all as (name, bytes, what a reader should do) for the sandbox tests.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

from tests import pdfgen

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Remittances and international migration.) Tj ET"


def stream(content: bytes, *, compress: bool = False, extra: bytes = b"") -> bytes:
    """A stream object body: dictionary with the right /Length, then the data."""
    if compress:
        content = zlib.compress(content)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(content), extra, content)


def build_pdf(
    objects: list[bytes],
    *,
    root: int = 1,
    trailer_extra: bytes = b"",
    xref: str = "good",
    version: bytes = b"1.4",
) -> bytes:
    """A PDF of `objects` (object i+1 is objects[i]). `xref`: "good", "shifted" (every offset
    off by 37 bytes), "garbage" (startxref points into the middle of nowhere), "none" (no table,
    startxref 0), "self-prev" (a trailer whose /Prev points at its own table)."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    table_at = len(out)
    shift = 37 if xref == "shifted" else 0
    if xref != "none":
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for off in offsets:
            out += b"%010d 00000 n \n" % (off + shift)
    prev = b" /Prev %d" % table_at if xref == "self-prev" else b""
    out += b"trailer\n<< /Size %d /Root %d 0 R%s%s >>\n" % (
        len(objects) + 1, root, prev, trailer_extra,
    )
    start = {"garbage": len(out) // 3, "none": 0}.get(xref, table_at)
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def one_page(
    content: bytes = TEXT, *, compress: bool = False, resources: bytes = b""
) -> list[bytes]:
    """Catalog, Pages, one Page, its content stream, a font (objects 1-5)."""
    res = b"<< /Font << /F1 5 0 R >> %s>>" % resources
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources %s >>"
        % res,
        stream(content, compress=compress),
        FONT,
    ]


# -- the builders ------------------------------------------------------------------------------


def minimal_valid() -> bytes:
    return build_pdf(one_page())


def wrong_xref_shifted() -> bytes:
    return build_pdf(one_page(), xref="shifted")


def wrong_xref_garbage() -> bytes:
    return build_pdf(one_page(), xref="garbage")


def no_xref() -> bytes:
    return build_pdf(one_page(), xref="none")


def xref_prev_loop() -> bytes:
    return build_pdf(one_page(), xref="self-prev")


def huge_page_count() -> bytes:
    """A page tree claiming a billion pages, with one real kid."""
    objs = one_page()
    objs[1] = b"<< /Type /Pages /Kids [3 0 R] /Count 1000000000 >>"
    return build_pdf(objs)


def many_pages(n: int = 20_000) -> bytes:
    """A real tree of `n` empty pages, all sharing one empty content stream."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the Pages node, filled in below
        stream(b""),
    ]
    kids = []
    for _ in range(n):
        kids.append(b"%d 0 R" % (len(objs) + 1))
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>")
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), n)
    return build_pdf(objs)


def page_tree_cycle() -> bytes:
    """A Pages node whose kids include itself."""
    objs = one_page()
    objs[1] = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"
    return build_pdf(objs)


def _bomb_stream(size: int, unit: bytes) -> bytes:
    """A zlib stream inflating to about `size` bytes of `unit` repeated, built in a fraction of a
    second: one deflate block of 1 MiB, ended by a full flush so it stands alone, repeated."""
    chunk = unit * max(1, (1 << 20) // len(unit))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    n = max(1, size // len(chunk))
    adler = 1
    for _ in range(n):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + block * n + c.flush(zlib.Z_FINISH) + adler.to_bytes(4, "big")


def compression_bomb(size: int = 1 << 30) -> bytes:
    """A page content stream of ~1 MB that inflates to `size` bytes (1 GiB) of zeros."""
    data = _bomb_stream(size, b"\0")
    objs = one_page()
    objs[3] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
    return build_pdf(objs)


def operator_flood(size: int = 64 << 20) -> bytes:
    """A content stream inflating to `size` bytes of cheap operators: millions of them, which a
    pure-Python interpreter works through for a very long time."""
    data = _bomb_stream(size, b"1 0 0 1 0 0 cm\n")
    objs = one_page()
    objs[3] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
    return build_pdf(objs)


def text_flood(size: int = 48 << 20) -> bytes:
    """Text operators inflating to `size` bytes: millions of characters to lay out."""
    data = _bomb_stream(size, b"(Remittances ) Tj\n")
    content_head = b"BT /F1 1 Tf 10 10 Td\n"
    objs = one_page()
    # The font set-up in one stream, the flood in a second one of the page's contents.
    objs[2] = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R 6 0 R] "
        b"/Resources << /Font << /F1 5 0 R >> >> >>"
    )
    objs[3] = stream(content_head)
    objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data))
    return build_pdf(objs)


def nested_arrays(depth: int = 200_000) -> bytes:
    """An object that is an array nested `depth` deep, referenced from the page."""
    objs = one_page()
    objs[2] = objs[2].replace(b"/Resources", b"/Junk 6 0 R /Resources")
    objs.append(b"[" * depth + b"]" * depth)
    return build_pdf(objs)


def nested_dicts(depth: int = 100_000) -> bytes:
    objs = one_page()
    objs[2] = objs[2].replace(b"/Resources", b"/Junk 6 0 R /Resources")
    objs.append(b"<< /A " * depth + b"1" + b" >>" * depth)
    return build_pdf(objs)


def nested_content_arrays(depth: int = 100_000) -> bytes:
    """Deep nesting inside the content stream, which the interpreter parses."""
    content = b"BT /F1 12 Tf 72 720 Td " + b"[" * depth + b"(x)" + b"]" * depth + b" TJ ET"
    return build_pdf(one_page(content, compress=True))


def reference_chain(n: int = 50_000) -> bytes:
    """/Length given as an indirect reference to a reference to a reference ... `n` deep."""
    objs = one_page()
    base = len(objs) + 1
    content = TEXT
    objs[3] = b"<< /Length %d 0 R >>\nstream\n%s\nendstream" % (base, content)
    for i in range(n - 1):
        objs.append(b"%d 0 R" % (base + i + 1))
    objs.append(b"%d" % len(content))
    return build_pdf(objs)


def self_referencing_xobject() -> bytes:
    """A form XObject that draws itself: infinite recursion for a naive interpreter."""
    objs = one_page(b"/X1 Do " + TEXT, resources=b"/XObject << /X1 6 0 R >> ")
    objs.append(
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] "
        b"/Resources << /XObject << /X1 6 0 R >> >> /Length 7 >>\nstream\n/X1 Do\n\nendstream"
    )
    return build_pdf(objs)


def xobject_fanout(levels: int = 12, fan: int = 8) -> bytes:
    """Form XObjects each drawing the next level `fan` times: fan**levels draws (a 'billion
    laughs' of graphics)."""
    objs = one_page(b"/X0 Do", resources=b"/XObject << /X0 6 0 R >> ")
    first = len(objs) + 1
    for lvl in range(levels):
        this, nxt = first + lvl, first + lvl + 1
        if lvl == levels - 1:
            body = TEXT
            res = b"/Font << /F1 5 0 R >>"
        else:
            body = b" ".join([b"/X Do"] * fan)
            res = b"/XObject << /X %d 0 R >>" % nxt
        objs.append(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << %s >> "
            b"/Length %d >>\nstream\n%s\nendstream" % (res, len(body), body)
        )
        assert len(objs) == this
    return build_pdf(objs)


def object_stream_loop() -> bytes:
    """The catalog lives in an object stream that claims to contain itself."""
    objs = one_page()
    objs.append(
        b"<< /Type /ObjStm /N 1 /First 4 /Extends 6 0 R /Length 10 >>\nstream\n1 0 6 0 R\nendstream"
    )
    return build_pdf(objs)


def huge_numbers() -> bytes:
    """Absurd numbers everywhere: a 1e308-point page, font size 1e300, a 10**400 integer."""
    content = b"BT /F1 1e300 Tf 1e308 1e308 Td (overflow) Tj ET " + b"9" * 400 + b" 0 Td"
    objs = one_page(content)
    objs[2] = objs[2].replace(b"[0 0 612 792]", b"[0 0 1e308 1e308]")
    return build_pdf(objs)


def bad_font_widths() -> bytes:
    """A font with a /Widths array of a million entries and a /FirstChar of -10**12."""
    objs = one_page()
    widths = b"[" + b"500 " * 1_000_000 + b"]"
    objs[4] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar -1000000000000 "
        b"/LastChar 10 /Widths %s >>" % widths
    )
    return build_pdf(objs)


def binary_garbage_with_header(size: int = 200_000, seed: int = 1) -> bytes:
    import random

    rng = random.Random(seed)
    return b"%PDF-1.7\n" + rng.randbytes(size) + b"\n%%EOF\n"


def lying_lengths() -> bytes:
    """Streams whose /Length is far larger, or negative, compared to the data."""
    objs = one_page()
    objs[3] = b"<< /Length 99999999 >>\nstream\n%s\nendstream" % TEXT
    objs.append(b"<< /Length -5 >>\nstream\nabc\nendstream")
    return build_pdf(objs)


def unsupported_filter() -> bytes:
    objs = one_page()
    objs[3] = b"<< /Length 4 /Filter /NoSuchDecode >>\nstream\nabcd\nendstream"
    return build_pdf(objs)


def broken_image_filters() -> bytes:
    """An image XObject with a corrupt CCITT/JBIG2/LZW payload, drawn on the page."""
    objs = one_page(
        b"q 100 0 0 100 0 0 cm /Im1 Do Q " + TEXT, resources=b"/XObject << /Im1 6 0 R >> "
    )
    data = bytes(range(256)) * 8
    objs.append(
        b"<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /BitsPerComponent 8 "
        b"/ColorSpace /DeviceGray /Filter [/LZWDecode /CCITTFaxDecode] /Length %d >>\n"
        b"stream\n%s\nendstream" % (len(data), data)
    )
    return build_pdf(objs)


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[], bytes]
    note: str


# Each parses (with or without warnings) or fails with a DocumentError; none may crash the pool.
HOSTILE: tuple[Hostile, ...] = (
    Hostile("truncated", lambda: pdfgen.truncated_pdf(pdfgen.render_pdf(pdfgen.sample_report())),
            "a download cut short"),
    Hostile("truncated-keeps-eof", lambda: pdfgen.render_pdf(pdfgen.sample_report())[:4000]
            + b"\n%%EOF\n", "cut, with an end marker glued back"),
    Hostile("encrypted", lambda: pdfgen.encrypted_pdf(), "needs a password"),
    Hostile("image-only", lambda: pdfgen.scanned_pdf(), "a scan, no text layer"),
    Hostile("html-named-pdf", lambda: pdfgen.html_error_page(), "an error page"),
    Hostile("empty", lambda: pdfgen.EMPTY, "no bytes"),
    Hostile("wrong-xref-shifted", wrong_xref_shifted, "every xref offset wrong"),
    Hostile("wrong-xref-garbage", wrong_xref_garbage, "startxref into nowhere"),
    Hostile("no-xref", no_xref, "no cross-reference table"),
    Hostile("xref-prev-loop", xref_prev_loop, "trailer /Prev pointing at itself"),
    Hostile("huge-page-count", huge_page_count, "/Count 1000000000"),
    Hostile("many-pages", many_pages, "20 000 real empty pages"),
    Hostile("page-tree-cycle", page_tree_cycle, "a Pages node that is its own kid"),
    Hostile("compression-bomb", compression_bomb, "1 MB inflating to 1 GiB"),
    Hostile("operator-flood", operator_flood, "4 million operators"),
    Hostile("text-flood", text_flood, "2.8 million text-showing operators"),
    Hostile("nested-arrays", nested_arrays, "an array nested 200 000 deep"),
    Hostile("nested-dicts", nested_dicts, "a dictionary nested 100 000 deep"),
    Hostile("nested-content-arrays", nested_content_arrays, "deep nesting in page content"),
    Hostile("reference-chain", reference_chain, "/Length through 50 000 indirections"),
    Hostile("self-referencing-xobject", self_referencing_xobject, "a form drawing itself"),
    Hostile("xobject-fanout", xobject_fanout, "8**12 form draws"),
    Hostile("object-stream-loop", object_stream_loop, "an object stream extending itself"),
    Hostile("huge-numbers", huge_numbers, "1e308 coordinates, 10**400 integer"),
    Hostile("bad-font-widths", bad_font_widths, "a million widths, FirstChar -10**12"),
    Hostile("binary-garbage", binary_garbage_with_header, "random bytes behind a PDF header"),
    Hostile("lying-lengths", lying_lengths, "stream lengths that lie"),
    Hostile("unsupported-filter", unsupported_filter, "an unknown stream filter"),
    Hostile("broken-image-filters", broken_image_filters, "a 10^10-pixel image, corrupt data"),
)
