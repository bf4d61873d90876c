-- Projection of every subdomain a SubdomainDO has written (claims, and names an admin reserved
-- or preallocated), written by the actors and repaired by the reconcile-subdomains cron job.
-- Read for registry.json and admin listings; never read to decide a claim.
CREATE TABLE subdomains (
  name TEXT PRIMARY KEY,
  owner_id TEXT,
  status TEXT,
  frozen_at TEXT,
  claimed_at TEXT,
  -- NULL = the RESERVED_SUBDOMAINS default; 0/1 = an admin's choice.
  reserved INTEGER,
  preallocated_to TEXT,
  collaborators TEXT NOT NULL,
  revision INTEGER NOT NULL
);
CREATE INDEX subdomains_by_owner ON subdomains (owner_id, name);
