"""The pure core: job statuses and their transitions, progress math, events. No I/O, no threads, no UI."""
