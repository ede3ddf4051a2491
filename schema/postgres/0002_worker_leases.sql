-- A worker's heartbeat extends every lease it holds, so find running jobs by worker quickly.
CREATE INDEX jobs_worker_leases ON jobs (lease_worker_id) WHERE state = 'running';
