"""The versioned database and the raw-file store.

- `db`: engines (SQLite tuned for concurrent writers, PostgreSQL via psycopg 3) and migrations
- `models`: the schema (SQLAlchemy typed ORM); docs/schema.md is its public description
- `versions`: THE place where a document is versioned (`load_version`)
- `catalog`, `runs`, `http_cache`: UN Digital Library metadata, runs and failures, validators
- `filestore`: content-addressed raw files
- `queries`: the read side (show, history, diff, search)
"""
