"""Hidden run cost of unmodernised systems, uncertainty, Green Book appraisal and ranking."""
