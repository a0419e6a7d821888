"""Infrastructure every domain shares: database, unit of work, events, broker, jobs, clock, ids, errors."""
