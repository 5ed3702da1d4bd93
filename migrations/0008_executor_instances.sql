-- Which run of an executor program made its last lease report, and since when (server time) that run
-- has been heard: a RUNNING process assigned after it began, which it says it does not hold, never
-- reached it (the answer was lost), and is tried again without spending a retry.
ALTER TABLE executors
  ADD COLUMN instance      text,
  ADD COLUMN instancesince timestamptz;
