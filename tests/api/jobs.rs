//! The durable job queue: leases, retries, two nodes.
