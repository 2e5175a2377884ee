"""Job kinds: what a job does. Kinds know nothing of the UI or the database; they get a JobContext."""
