"""``jcrnet train``'s machinery: run settings, data, checkpoints, one trainer per framework, distributed start-up and
the loop."""
