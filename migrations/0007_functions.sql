-- The functions each executor declares it serves when it starts: `function ls`, the submit's warning
-- about a function no executor serves, and why a ready process waits. Gone with its executor.
CREATE TABLE functions (
  colonyname text NOT NULL,
  executorid text NOT NULL,
  funcname   text NOT NULL,
  PRIMARY KEY (colonyname, executorid, funcname),
  FOREIGN KEY (colonyname, executorid) REFERENCES executors (colonyname, executorid) ON DELETE CASCADE
);
CREATE INDEX functions_funcname ON functions (colonyname, funcname);
