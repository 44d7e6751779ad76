-- W3C trace context across the outbox and the job queue (core/trace.h): the
-- trace id of the request (or job) that wrote an event or queued a job, so
-- what follows from it — a webhook delivery, an e-mail — is logged under the
-- same trace and sends a child traceparent. NULL: written outside any trace
-- (then the job run starts a trace of its own).
ALTER TABLE events ADD COLUMN trace_id TEXT;
ALTER TABLE jobs ADD COLUMN trace_id TEXT;
