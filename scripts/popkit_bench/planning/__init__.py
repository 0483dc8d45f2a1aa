"""Planning a run: arms, trial keys, the seeded order, cost and time estimates."""
