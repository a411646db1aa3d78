"""``jcrnet bench``'s machinery: one backend measured per worker process, and the run that schedules them."""
