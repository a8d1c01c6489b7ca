"""Scale-out executors (optional extra `painscope[ray]`): Ray extraction and Ray cross-validation."""
