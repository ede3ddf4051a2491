-- Files a worker attached to the attempt it held (a screenshot, a report), kept with their job and
-- removed with it (retention, ON DELETE CASCADE). One name per job: a later upload replaces it.
CREATE TABLE job_artifacts (
    job_id        TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    content       BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (job_id, name)
);
