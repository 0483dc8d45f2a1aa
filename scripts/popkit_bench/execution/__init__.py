"""Execution: the scheduler, executors, one trial, verification and recovery of killed runs."""
