-- Where the stored audit chain begins once older entries were archived (arbiter audit archive): the
-- last archived entry's seq and hash. The first entry kept has this hash as its prev_hash.
CREATE TABLE audit_anchor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    seq          INTEGER NOT NULL,
    hash         BLOB NOT NULL,
    archived_at  INTEGER NOT NULL                  -- Unix ms
);
