"""Traffic switches: nginx upstreams (zero-downtime) or direct restart-in-place."""
