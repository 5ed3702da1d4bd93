-- Leases: what each executor last reported holding, and the running processes by executor, so that
-- the deadline sweep can retry work whose executor went silent or never received it.
ALTER TABLE executors
  ADD COLUMN holding   text[],
  ADD COLUMN holdingat timestamptz;
CREATE INDEX processes_running ON processes (assignedexecutorid) WHERE state = 'RUNNING';
