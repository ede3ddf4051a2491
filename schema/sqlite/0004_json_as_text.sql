-- Version 4 changes the PostgreSQL schema only (its JSON columns become TEXT, as they are here); this
-- keeps the two backends' version numbers in step.
SELECT 1;
