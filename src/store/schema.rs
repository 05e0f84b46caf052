//! The state file's schema, as an append-only list of migrations.

/// The schema version this binary writes; older files are migrated forward to it.
pub const SCHEMA_VERSION: i64 = 9;

/// Schema steps: entry `n` takes a file from version `n` to `n + 1`. Version 2 keeps the
/// feed's configuration fingerprint with the page's validators; version 3 what items' own
/// pages give (content, author, image) and whether they were read; version 4 how often an
/// item's own page failed and when it is tried again; version 5 the hosts that asked
/// (`Retry-After`) not to be asked again before a time; version 6 what a feed last published
/// (the digest of the page's bytes, the print of what its files were rendered from, when,
/// how many items, and when its window next changes) and the discovery files' print, so a
/// run over an unchanged page parses, renders and reads back nothing; version 7 when each feed
/// was last in the configuration, with its `keep_days` then, so the files of a feed removed
/// from it are removed that many days later; version 8 items' categories and enclosures (JSON
/// arrays, `NULL` when none); version 9 why a filter dropped an item (`NULL`: kept), which
/// sticks while the history holds it.
pub(super) const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE feeds (
        id TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        last_page_seen TEXT
    ) WITHOUT ROWID;
    CREATE TABLE items (
        feed TEXT NOT NULL,
        id TEXT NOT NULL,
        title TEXT NOT NULL,
        link TEXT NOT NULL,
        summary TEXT,
        date TEXT NOT NULL,
        date_unix INTEGER NOT NULL,
        dated_by_page INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        updated TEXT,
        hash TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (feed, id)
    ) WITHOUT ROWID;
    CREATE INDEX items_by_date ON items (feed, date_unix DESC);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        feed TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('updated', 'not_modified', 'failed')),
        items_found INTEGER,
        new_items INTEGER,
        dates_parsed INTEGER,
        error TEXT
    );
    CREATE INDEX runs_by_feed ON runs (feed, id);
",
    "
    ALTER TABLE feeds ADD COLUMN fingerprint TEXT;
",
    "
    ALTER TABLE items ADD COLUMN content TEXT;
    ALTER TABLE items ADD COLUMN author TEXT;
    ALTER TABLE items ADD COLUMN image TEXT;
    ALTER TABLE items ADD COLUMN detail_done INTEGER NOT NULL DEFAULT 0;
",
    "
    ALTER TABLE items ADD COLUMN detail_failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE items ADD COLUMN detail_retry_at TEXT;
",
    "
    CREATE TABLE host_pauses (
        host TEXT PRIMARY KEY,
        until TEXT NOT NULL
    ) WITHOUT ROWID;
",
    "
    ALTER TABLE feeds ADD COLUMN page_digest TEXT;
    ALTER TABLE feeds ADD COLUMN published_print TEXT;
    ALTER TABLE feeds ADD COLUMN published_at TEXT;
    ALTER TABLE feeds ADD COLUMN published_items INTEGER;
    ALTER TABLE feeds ADD COLUMN window_floor TEXT;
    CREATE TABLE site (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
",
    "
    CREATE TABLE configured (
        feed TEXT PRIMARY KEY,
        last_seen TEXT NOT NULL,
        keep_days INTEGER NOT NULL
    ) WITHOUT ROWID;
",
    "
    ALTER TABLE items ADD COLUMN categories TEXT;
    ALTER TABLE items ADD COLUMN enclosures TEXT;
",
    "
    ALTER TABLE items ADD COLUMN filtered TEXT;
",
];
