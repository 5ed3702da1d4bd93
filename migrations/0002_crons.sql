-- Cron schedules: a workflow submitted on a timetable (cron expression) or every N seconds.
CREATE TABLE crons (
  cronid                  text PRIMARY KEY,
  colonyname              text NOT NULL REFERENCES colonies (colonyname) ON DELETE CASCADE,
  name                    text NOT NULL,
  functionspecs           jsonb NOT NULL,
  cronexpression          text NOT NULL DEFAULT '',
  intervalseconds         int NOT NULL DEFAULT 0,
  waitforprevprocessgraph boolean NOT NULL DEFAULT false,
  initiatorid             text NOT NULL,
  created                 timestamptz NOT NULL,
  -- The claim: a replica fires a cron by moving nextrun forward in the transaction that submits its graph.
  nextrun                 timestamptz NOT NULL,
  lastrun                 timestamptz,
  lastprocessgraphid      text,
  -- How late the last firing was (ms): large after a server was down while the cron was due.
  lastrunlatems           int NOT NULL DEFAULT 0,
  runs                    int NOT NULL DEFAULT 0,
  skips                   int NOT NULL DEFAULT 0,
  lastskipreason          text NOT NULL DEFAULT '',
  UNIQUE (colonyname, name)
);
CREATE INDEX crons_due ON crons (nextrun);
