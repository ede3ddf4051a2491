-- Version 5 changes the PostgreSQL schema only (replicas share a PostgreSQL database; an embedded
-- store has one process); this keeps the two backends' version numbers in step.
SELECT 1;
