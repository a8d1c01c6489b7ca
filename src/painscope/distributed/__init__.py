"""Scale-out executors (optional extras): Ray extraction."""
