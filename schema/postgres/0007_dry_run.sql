-- A dry run ("paper trading"): the job runs through dispatch, consent and audit like any other, and
-- its worker is told not to act for real (its assignment says dry_run). 1 for a dry run.
ALTER TABLE jobs ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1));
