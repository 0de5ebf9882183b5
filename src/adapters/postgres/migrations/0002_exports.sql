-- Export jobs, their outbox and their files (docs/adr/0006-export-jobs.md). Runs unchanged on
-- PGlite and PostgreSQL.

CREATE TABLE export_jobs (
  id                 uuid        PRIMARY KEY,
  -- The customer who owns the job; '' for an administrator's job (visible to administrators only).
  owner_customer_id  text        NOT NULL,
  -- The principal that asked: idempotency keys are scoped to it.
  requester          text        NOT NULL,
  idempotency_key    text        NOT NULL DEFAULT '',
  -- The ListOrders filter; NULL matches everything.
  filter_customer_id text,
  filter_status      text,
  format             text        NOT NULL CHECK (format IN ('CSV', 'NDJSON')),
  status             text        NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
  orders_total       bigint      NOT NULL DEFAULT 0,
  orders_done        bigint      NOT NULL DEFAULT 0,
  size_bytes         bigint      NOT NULL DEFAULT 0,
  sha256             text        NOT NULL DEFAULT '',
  error              text        NOT NULL DEFAULT '',
  -- Attempts started; the current one alone may write progress or finish the job (fencing).
  attempts           integer     NOT NULL DEFAULT 0,
  -- W3C trace context of the ExportOrders call, so the run's span links to it.
  trace_context      jsonb       NOT NULL DEFAULT '{}',
  create_time        timestamptz NOT NULL,
  update_time        timestamptz NOT NULL
);

CREATE UNIQUE INDEX export_jobs_requester_idempotency_key ON export_jobs (requester, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX export_jobs_unfinished ON export_jobs (create_time) WHERE status IN ('QUEUED', 'RUNNING');

-- Jobs committed but not yet handed to the queue: written in the job's own transaction, removed
-- by the dispatcher after the queue accepted the job.
CREATE TABLE export_outbox (
  job_id      uuid        PRIMARY KEY REFERENCES export_jobs (id) ON DELETE CASCADE,
  create_time timestamptz NOT NULL
);

-- The files, in the database so that every replica serves downloads. Each attempt writes its own
-- chunks; success drops every other attempt's, so the file of a job appears once.
CREATE TABLE export_chunks (
  job_id       uuid    NOT NULL REFERENCES export_jobs (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  seq          integer NOT NULL,
  start_offset bigint  NOT NULL,
  data         bytea   NOT NULL,
  PRIMARY KEY (job_id, attempt, seq)
);
