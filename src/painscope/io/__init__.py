"""Reading videos and writing files safely."""
