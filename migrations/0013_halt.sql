-- Halt and resume: a graph HALTED by a user hands out nothing until it is resumed. Its processes that
-- were WAITING at the halt (and those that would become WAITING meanwhile: retries, added children)
-- are HALTED, which keeps them out of the claim index (WHERE state = 'WAITING'), the gates' and the
-- wait deadlines' indexes: a halt costs the claim nothing. RUNNING ones finish as usual.
-- processgraphs.state has no CHECK constraint; only processes' is replaced.
ALTER TABLE processes DROP CONSTRAINT processes_state_check;
ALTER TABLE processes ADD CONSTRAINT processes_state_check
  CHECK (state IN ('WAITING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED', 'HALTED'));
