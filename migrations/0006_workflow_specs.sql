-- Registered workflow specs (immutable versions), named runs with their variables, idempotency keys,
-- and the index of the variables a spec marks `index: true`. See docs/architecture.md, Workflow specs.
CREATE TABLE workflowspecs (
  colonyname  text NOT NULL REFERENCES colonies (colonyname) ON DELETE CASCADE,
  name        text NOT NULL,
  version     int NOT NULL,
  spec        jsonb NOT NULL,
  -- sha256 of the spec as normalised: registering an identical spec again finds its version here.
  hash        text NOT NULL,
  initiatorid text NOT NULL,
  created     timestamptz NOT NULL,
  PRIMARY KEY (colonyname, name, version),
  UNIQUE (colonyname, name, hash)
);

ALTER TABLE processgraphs
  ADD COLUMN name           text NOT NULL DEFAULT '',
  ADD COLUMN specname       text,
  ADD COLUMN specversion    int,
  ADD COLUMN initiatorname  text NOT NULL DEFAULT '',
  ADD COLUMN cronname       text,
  ADD COLUMN variables      jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN idempotencykey text;
CREATE UNIQUE INDEX processgraphs_key ON processgraphs (colonyname, idempotencykey) WHERE idempotencykey IS NOT NULL;
CREATE INDEX processgraphs_spec ON processgraphs (colonyname, specname, submissiontime DESC) WHERE specname IS NOT NULL;
ALTER TABLE processgraphs ALTER COLUMN variables SET STATISTICS 0;

-- NULL for every process that neither reads a variable set while its run goes on nor sets one: the
-- claim and the close look at them only when they are not NULL (docs/performance.md).
-- varrefs: [{at: path in spec, var, path: path in the variable}]; varsets: {variable: path in the output}.
ALTER TABLE processes
  ADD COLUMN varrefs jsonb,
  ADD COLUMN varsets jsonb;
ALTER TABLE processes ALTER COLUMN varrefs SET STATISTICS 0, ALTER COLUMN varsets SET STATISTICS 0;

-- One row per indexed variable of a run, its value in the column of its type: s (string, boolean,
-- json as canonical jsonb text), n (integer, number), t (date-time). Values a run was started with.
CREATE TABLE workflowvars (
  processgraphid text NOT NULL REFERENCES processgraphs (processgraphid) ON DELETE CASCADE,
  colonyname     text NOT NULL,
  specname       text NOT NULL,
  varname        text NOT NULL,
  s              text,
  n              double precision,
  t              timestamptz,
  submissiontime timestamptz NOT NULL
);
CREATE INDEX workflowvars_s ON workflowvars (colonyname, specname, varname, s, submissiontime DESC) WHERE s IS NOT NULL;
CREATE INDEX workflowvars_n ON workflowvars (colonyname, specname, varname, n) WHERE n IS NOT NULL;
CREATE INDEX workflowvars_t ON workflowvars (colonyname, specname, varname, t) WHERE t IS NOT NULL;
CREATE INDEX workflowvars_graph ON workflowvars (processgraphid);

-- A cron may run a registered spec (the latest version, or a pinned one) with variables.
ALTER TABLE crons
  ADD COLUMN specname    text,
  ADD COLUMN specversion int,
  ADD COLUMN variables   jsonb NOT NULL DEFAULT '{}';

-- Resolves the references of a process (varrefs) in its spec from its run's variables, when it is claimed.
-- (No line of the body ends in a semicolon: the migration runner splits statements there.)
CREATE FUNCTION colonies_resolve(spec jsonb, refs jsonb, vars jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE r jsonb; BEGIN
  FOR r IN SELECT value FROM jsonb_array_elements(refs) LOOP
    spec := jsonb_set(spec, ARRAY(SELECT jsonb_array_elements_text(r -> 'at')),
                      coalesce((vars -> (r ->> 'var')) #> ARRAY(SELECT jsonb_array_elements_text(r -> 'path')), 'null'::jsonb)); END LOOP
  ; RETURN spec; END $$;
