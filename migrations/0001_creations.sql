-- Projection of every creation's public fields, written by CreationDO and repaired by the
-- reconcile-creations cron job. Read for listings only; never read to decide anything.
CREATE TABLE creations (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  name TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- The actor's revision: an older write never overwrites a newer one.
  revision INTEGER NOT NULL
);
CREATE INDEX creations_by_owner ON creations (owner, created_at DESC, id DESC);

-- Where each cron job that walks a projection stopped, so the next run goes on from there.
CREATE TABLE job_cursors (
  job TEXT PRIMARY KEY,
  cursor TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
