"""Background work: the scheduler and the outbox worker that delivers to other systems."""
