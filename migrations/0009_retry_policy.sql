-- Retry policies: a failed attempt may come back after a delay (the function spec's retrydelay,
-- retrybackoff, maxretrydelay). `notbefore` is when a WAITING process may be claimed again; NULL = at
-- once. The claim checks it on the rows its index yields (processes_claim is unchanged), and the
-- deadline sweep finds the retries coming due through this small index, to wake long-polls.
ALTER TABLE processes ADD COLUMN notbefore timestamptz;
CREATE INDEX processes_notbefore ON processes (notbefore) WHERE state = 'WAITING' AND notbefore IS NOT NULL;
