from __future__ import annotations

from sqlalchemy.engine import Engine

from storage import http_cache


def test_validators_round_trip_and_update(engine: Engine) -> None:
    url = "https://digitallibrary.un.org/record/1/files/A_61_515-EN.pdf"
    assert http_cache.get_validators(engine, url) is None
    http_cache.save_validators(engine, url, etag='"abc"', last_modified=None, sha256="a" * 64)
    v = http_cache.get_validators(engine, url)
    assert v and (v.etag, v.last_modified, v.sha256) == ('"abc"', None, "a" * 64)
    http_cache.save_validators(
        engine, url, etag=None, last_modified="Wed, 21 Oct 2015 07:28:00 GMT", sha256="b" * 64
    )
    v = http_cache.get_validators(engine, url)
    assert v and (v.etag, v.sha256) == (None, "b" * 64)
    assert v.last_modified == "Wed, 21 Oct 2015 07:28:00 GMT"
