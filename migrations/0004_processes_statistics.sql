-- No planner statistics for the payload columns of processes: no query filters, joins or sorts on
-- them, and sampling their jsonb and arrays was most of an ANALYZE (PGlite, 100,000 rows: 334 → 210 ms,
-- time during which its one connection serves nothing).
ALTER TABLE processes
  ALTER COLUMN spec SET STATISTICS 0,
  ALTER COLUMN input SET STATISTICS 0,
  ALTER COLUMN output SET STATISTICS 0,
  ALTER COLUMN errors SET STATISTICS 0,
  ALTER COLUMN parents SET STATISTICS 0,
  ALTER COLUMN children SET STATISTICS 0;
