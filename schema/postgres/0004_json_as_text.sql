-- Payloads, results and worker labels as the text that was submitted, byte for byte, as SQLite keeps
-- them: JSONB rewrites whitespace, key order and numbers, and refuses the escape \u0000. Nothing in
-- the database looks inside them.
ALTER TABLE jobs
    ALTER COLUMN payload TYPE TEXT USING payload::text,
    ALTER COLUMN result TYPE TEXT USING result::text;
ALTER TABLE workers ALTER COLUMN labels DROP DEFAULT;
ALTER TABLE workers ALTER COLUMN labels TYPE TEXT USING labels::text;
ALTER TABLE workers ALTER COLUMN labels SET DEFAULT '{}';
