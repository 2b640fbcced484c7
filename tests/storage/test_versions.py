"""What a version means: new / unchanged / updated, idempotence, atomicity, odd text."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from parsers.model import Paragraph, ParagraphKind
from storage import queries, versions
from storage.models import DocumentVersion, VersionSource
from tests.storage.factories import BASE_TEXTS, SYMBOL, T0, load, make_doc, row_counts, sha


def _versions(engine: Engine, language: str = "en") -> list[sa.Row]:
    v = DocumentVersion
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(v.version, v.valid_from, v.valid_to, v.last_seen_at, v.paragraph_count)
                .where(v.symbol == SYMBOL, v.language == language)
                .order_by(v.version)
            )
        )


def test_new_unchanged_updated(engine: Engine) -> None:
    first = load(engine, make_doc())
    assert (first.status, first.version) == ("new", 1)

    later = T0 + dt.timedelta(days=1)
    again = load(engine, make_doc(), fetched_at=later)
    assert (again.status, again.version) == ("unchanged", 1)
    [v1] = _versions(engine)
    assert v1.valid_to is None and v1.last_seen_at == later and v1.valid_from == T0

    revised = "Member States are urged to halve remittance costs."
    changed = BASE_TEXTS[:2] + (revised,) + BASE_TEXTS[3:]
    when = T0 + dt.timedelta(days=2)
    upd = load(engine, make_doc(changed), source="file-2", fetched_at=when)
    assert (upd.status, upd.version) == ("updated", 2)
    old, new = _versions(engine)
    assert old.valid_to == when == new.valid_from
    assert new.valid_to is None

    info = versions.current_version(engine, SYMBOL, "en")
    assert info is not None
    assert (info.version, info.source_sha256, info.parser_version) == (2, sha("file-2"), "1.0")


def test_datetimes_are_aware_utc(engine: Engine) -> None:
    cet = dt.timezone(dt.timedelta(hours=1))
    load(engine, make_doc(), fetched_at=dt.datetime(2024, 5, 1, 13, 0, tzinfo=cet))
    [v1] = _versions(engine)
    assert v1.valid_from == T0 and v1.valid_from.tzinfo == dt.UTC
    with pytest.raises(ValueError, match="naive"):
        load(engine, make_doc(("other",)), fetched_at=dt.datetime(2024, 5, 2))


def test_same_content_from_new_file_or_parser_is_not_a_new_version(engine: Engine) -> None:
    load(engine, make_doc())
    # A re-rendered file (other bytes) that extracts to the same thing.
    r = load(engine, make_doc(), source="file-1-rerendered", fetched_at=T0 + dt.timedelta(hours=1))
    assert (r.status, r.version) == ("unchanged", 1)
    info = versions.current_version(engine, SYMBOL, "en")
    assert info and info.source_sha256 == sha("file-1-rerendered")
    # Original provenance stays on the version row.
    with engine.connect() as conn:
        assert conn.execute(sa.select(DocumentVersion.source_sha256)).scalar_one() == sha("file-1")

    assert [s.symbol for s in versions.stale_versions(engine, "2.0")] == [SYMBOL]
    # A new parser whose output is identical confirms the version, it does not copy it.
    r = load(
        engine,
        make_doc(parser_version="2.0"),
        source="file-1-rerendered",
        fetched_at=T0 + dt.timedelta(hours=2),
    )
    assert r.status == "unchanged"
    assert versions.stale_versions(engine, "2.0") == []
    assert versions.current_version(engine, SYMBOL, "en").parser_version == "2.0"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(VersionSource)).scalar_one() == 3


def test_new_parser_with_different_output_is_a_new_version(engine: Engine) -> None:
    load(engine, make_doc())
    renumbered = make_doc(numbers=(None, "1", "2", "3"), parser_version="2.0")
    r = load(engine, renumbered, fetched_at=T0 + dt.timedelta(hours=1))
    assert (r.status, r.version) == ("updated", 2)
    stale = versions.stale_versions(engine, "3.0")
    assert [(s.symbol, s.version, s.source_sha256) for s in stale] == [(SYMBOL, 2, sha("file-1"))]


def test_rerunning_the_same_ingest_changes_nothing(engine: Engine) -> None:
    docs = {f"A/61/{n}": make_doc(tuple(f"{t} ({n})" for t in BASE_TEXTS)) for n in range(3)}

    def ingest() -> list[str]:
        out = []
        for symbol, parsed in docs.items():
            for lang in ("en", "fr"):
                out.append(load(engine, parsed, symbol=symbol, language=lang).status)
        return out

    assert ingest() == ["new"] * 6
    before = row_counts(engine)
    assert before["document_versions"] == 6 and before["documents"] == 3
    assert ingest() == ["unchanged"] * 6
    assert row_counts(engine) == before


def test_mark_seen_moves_last_seen_only(engine: Engine) -> None:
    assert versions.mark_seen(engine, SYMBOL, "en", seen_at=T0) is False
    load(engine, make_doc())
    before = row_counts(engine)
    later = T0 + dt.timedelta(days=3)
    assert versions.mark_seen(engine, SYMBOL, "en", seen_at=later) is True
    assert row_counts(engine) == before
    [v1] = _versions(engine)
    assert v1.last_seen_at == later and v1.valid_to is None


def test_languages_have_their_own_chains(engine: Engine) -> None:
    assert load(engine, make_doc()).version == 1
    assert load(engine, make_doc(("Texte français.",)), language="fr").version == 1
    assert load(engine, make_doc(("Texte révisé.",)), language="fr").version == 2
    assert [r.version for r in _versions(engine, "en")] == [1]
    assert queries.languages(engine, SYMBOL) == ["en", "fr"]


def test_odd_text_round_trips_exactly(engine: Engine) -> None:
    odd = (
        "He said \"no\"; she said 'yes' -- DROP TABLE paragraphs; --",
        "Backslashes \\ and percent %s %(x)s and braces {0} and tabs\tand\nnewlines",
        "الهجرة الدولية والتنمية: تقرير الأمين العام",  # Arabic, right to left
        "混合 text, русский текст, emoji 🌍, combining é and NBSP\u00a0here, zero\u200bwidth",
        "x" * 250_000,  # one very long paragraph
        "",  # an empty paragraph
    )
    parsed = make_doc(odd)
    load(engine, parsed)
    view = queries.get_document(engine, SYMBOL)
    assert view is not None
    assert [p.text for p in view.paragraphs] == list(odd)
    assert [p.section for p in view.paragraphs][-1] == "II. Remittances / A. Costs"
    assert view.footnotes[0].paragraph_position == 2
    with engine.connect() as conn:
        got = (
            conn.execute(
                sa.text("SELECT text FROM current_paragraphs WHERE symbol = :s ORDER BY position"),
                {"s": SYMBOL},
            )
            .scalars()
            .all()
        )
    assert got == list(odd)
    # And loading it again is recognised as the same content.
    assert load(engine, parsed).status == "unchanged"


def test_nul_characters_are_stored_the_same_on_both_engines(engine: Engine) -> None:
    load(engine, make_doc(("before\x00after",)))
    view = queries.get_document(engine, SYMBOL)
    assert view and view.paragraphs[0].text == "before\ufffdafter"


# --- atomicity ----------------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def _explode_after(monkeypatch: pytest.MonkeyPatch, table_name: str) -> None:
    real = versions.bulk_insert

    def bulk_insert(conn, table, columns, rows) -> None:  # noqa: ANN001
        real(conn, table, columns, rows)
        if table.name == table_name:
            raise Boom(f"crash after inserting {len(rows)} {table_name}")

    monkeypatch.setattr(versions, "bulk_insert", bulk_insert)


@pytest.mark.parametrize("after", ["paragraphs", "footnotes"])
def test_failure_mid_load_leaves_no_partial_version(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, after: str
) -> None:
    before = row_counts(engine)
    _explode_after(monkeypatch, after)
    with pytest.raises(Boom):
        load(engine, make_doc())
    assert row_counts(engine) == before
    monkeypatch.undo()
    assert load(engine, make_doc()).status == "new"  # and nothing blocks a clean retry


def test_failed_update_keeps_the_old_version_current(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, make_doc())
    before = row_counts(engine)
    _explode_after(monkeypatch, "paragraphs")
    with pytest.raises(Boom):
        load(engine, make_doc(("changed",)), fetched_at=T0 + dt.timedelta(days=1))
    assert row_counts(engine) == before
    [v1] = _versions(engine)
    assert v1.valid_to is None


def test_constraint_violation_mid_load_leaves_no_partial_version(engine: Engine) -> None:
    load(engine, make_doc())
    before = row_counts(engine)
    good = make_doc(("one", "two"))
    # Two paragraphs at the same position violate UNIQUE (version_id, position) in the bulk insert.
    dup = Paragraph(position=1, number="9", section=(), kind=ParagraphKind.NUMBERED, text="dup")
    bad = dataclasses.replace(good, paragraphs=good.paragraphs + (dup,))
    with pytest.raises(sa.exc.IntegrityError):
        load(engine, bad, fetched_at=T0 + dt.timedelta(days=1))
    assert row_counts(engine) == before
    assert [r.version for r in _versions(engine)] == [1]
