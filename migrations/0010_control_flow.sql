-- Control flow: a gated process is started, skipped or failed by the server once its parents have
-- finished (a condition, a trigger rule, a node that runs on no executor). Its waitingparents counts
-- one more than its unfinished parents — the gate — so neither closes nor claims start it by counting;
-- at 1 the server decides. SKIPPED: a process that was not to run. A graph counts the processes that
-- finished without succeeding (SKIPPED, or FAILED with a handler below) in settledcount, and how many
-- of those were leaves that FAILED in leavesfailed: a graph whose processes have all finished is
-- SUCCESS when none was, else FAILED.
ALTER TABLE processes DROP CONSTRAINT processes_state_check;
ALTER TABLE processes ADD CONSTRAINT processes_state_check
  CHECK (state IN ('WAITING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED'));
ALTER TABLE processes ADD COLUMN gated boolean NOT NULL DEFAULT false;
ALTER TABLE processgraphs ADD COLUMN settledcount int NOT NULL DEFAULT 0;
ALTER TABLE processgraphs ADD COLUMN leavesfailed int NOT NULL DEFAULT 0;
-- The gates due for a decision: the sweep's, after a crash between a close and its gates' check.
CREATE INDEX processes_gates_due ON processes (seq) WHERE gated AND state = 'WAITING' AND waitingparents = 1;
