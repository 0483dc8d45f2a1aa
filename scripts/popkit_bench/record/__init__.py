"""The trial record (the contract between execution and analysis) and the run folder that journals it."""
