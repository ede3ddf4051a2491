-- Leadership among the replicas on this database. The leader is whoever holds the session advisory
-- lock; this row says who took it last and how many times it has changed hands (the epoch, which
-- fences what a former leader might still try to do).
CREATE TABLE cluster_leader (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    replica_id  TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    since       BIGINT NOT NULL                   -- Unix ms
);
