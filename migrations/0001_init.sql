-- Colonies schema, version 1. Runs unchanged on PostgreSQL and on PGlite.
-- Times are timestamptz; queue order is a bigint (ms) so that priority shifts it by whole days.

CREATE TABLE colonies (
  colonyname text PRIMARY KEY,
  colonyid   text NOT NULL,
  created    timestamptz NOT NULL
);

CREATE TABLE executors (
  colonyname    text NOT NULL REFERENCES colonies (colonyname) ON DELETE CASCADE,
  executorname  text NOT NULL,
  executorid    text NOT NULL,
  executortype  text NOT NULL,
  state         text NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED')),
  location      text NOT NULL DEFAULT '',
  registered    timestamptz NOT NULL,
  lastheardfrom timestamptz,
  PRIMARY KEY (colonyname, executorname),
  UNIQUE (colonyname, executorid)
);

CREATE TABLE users (
  colonyname text NOT NULL REFERENCES colonies (colonyname) ON DELETE CASCADE,
  username   text NOT NULL,
  userid     text NOT NULL,
  PRIMARY KEY (colonyname, username),
  UNIQUE (colonyname, userid)
);

CREATE TABLE processgraphs (
  processgraphid text PRIMARY KEY,
  colonyname     text NOT NULL REFERENCES colonies (colonyname) ON DELETE CASCADE,
  state          text NOT NULL,
  initiatorid    text NOT NULL,
  processcount   int NOT NULL,
  successcount   int NOT NULL DEFAULT 0,
  submissiontime timestamptz NOT NULL,
  starttime      timestamptz,
  endtime        timestamptz,
  errors         jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX processgraphs_list ON processgraphs (colonyname, state, submissiontime DESC);

CREATE TABLE processes (
  processid          text PRIMARY KEY,
  seq                bigint GENERATED ALWAYS AS IDENTITY,
  colonyname         text NOT NULL REFERENCES colonies (colonyname) ON DELETE CASCADE,
  processgraphid     text REFERENCES processgraphs (processgraphid) ON DELETE CASCADE,
  nodename           text NOT NULL,
  funcname           text NOT NULL,
  executortype       text NOT NULL,
  label              text NOT NULL DEFAULT '',
  spec               jsonb NOT NULL,
  state              text NOT NULL CHECK (state IN ('WAITING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED')),
  prioritytime       bigint NOT NULL,
  input              jsonb NOT NULL DEFAULT '[]',
  output             jsonb NOT NULL DEFAULT '[]',
  errors             jsonb NOT NULL DEFAULT '[]',
  retries            int NOT NULL DEFAULT 0,
  maxretries         int NOT NULL,
  maxwaittime        int NOT NULL,
  maxexectime        int NOT NULL,
  attempt            int NOT NULL DEFAULT 0,
  -- parents not yet SUCCESS: the process is ready (assignable) at 0. Kept incrementally.
  waitingparents     int NOT NULL DEFAULT 0,
  parents            text[] NOT NULL DEFAULT '{}',
  children           text[] NOT NULL DEFAULT '{}',
  initiatorid        text NOT NULL,
  assignedexecutorid text,
  submissiontime     timestamptz NOT NULL,
  readytime          timestamptz,
  starttime          timestamptz,
  endtime            timestamptz,
  waitdeadline       timestamptz,
  execdeadline       timestamptz
);
-- The claim: columns match the assign query's WHERE and ORDER BY exactly.
CREATE INDEX processes_claim ON processes (colonyname, executortype, prioritytime, seq)
  WHERE state = 'WAITING' AND waitingparents = 0;
CREATE INDEX processes_list ON processes (colonyname, state, submissiontime DESC);
-- A nodename names one process within its graph (findProcess, add_child).
CREATE UNIQUE INDEX processes_graph_nodename ON processes (processgraphid, nodename) WHERE processgraphid IS NOT NULL;
CREATE INDEX processes_execdeadline ON processes (execdeadline) WHERE state = 'RUNNING' AND execdeadline IS NOT NULL;
CREATE INDEX processes_waitdeadline ON processes (waitdeadline) WHERE state = 'WAITING' AND waitdeadline IS NOT NULL;
-- The hot table churns; vacuum it early so dead index entries do not slow SKIP LOCKED claims.
ALTER TABLE processes SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, fillfactor = 80);

CREATE TABLE logs (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  processid  text NOT NULL REFERENCES processes (processid) ON DELETE CASCADE,
  colonyname text NOT NULL,
  executorid text NOT NULL,
  message    text NOT NULL,
  time       timestamptz NOT NULL
);
CREATE INDEX logs_process ON logs (processid, seq);
CREATE INDEX logs_executor ON logs (colonyname, executorid, seq);
