-- External events and timers, the server nodes of kind event and sleep (docs/architecture.md, Events
-- and timers). An event posted to a graph is kept here until an event node of the graph with its
-- name consumes it (consumedby, oldest first), or, when such a node already waits, is written consumed.
CREATE TABLE graphevents (
  seq            bigint GENERATED ALWAYS AS IDENTITY,
  eventid        text PRIMARY KEY,
  processgraphid text NOT NULL REFERENCES processgraphs (processgraphid) ON DELETE CASCADE,
  colonyname     text NOT NULL,
  name           text NOT NULL,
  data           jsonb NOT NULL,
  postedtime     timestamptz NOT NULL,
  -- Who posted it: the caller's id, and its user or executor name when it has one.
  postedby       text NOT NULL,
  postedbyname   text NOT NULL DEFAULT '',
  consumedby     text,
  consumedtime   timestamptz
);
-- A graph's events in the order they were posted (the list, and removal with the graph).
CREATE INDEX graphevents_graph ON graphevents (processgraphid, seq);
-- The kept events a node reaching its gate may consume: oldest first.
CREATE INDEX graphevents_kept ON graphevents (processgraphid, name, seq) WHERE consumedby IS NULL;

-- A timer's wake time (the retry policy's migration 0009 adds the same column for retries' back-off).
ALTER TABLE processes ADD COLUMN IF NOT EXISTS notbefore timestamptz;
-- Only the timers that wait: the sweep finds the due ones by time without reading anything else.
CREATE INDEX processes_timers_due ON processes (notbefore)
  WHERE state = 'WAITING' AND executortype = ':sleep' AND notbefore IS NOT NULL;
