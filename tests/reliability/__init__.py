"""Reliability and security, proven: permissions matrix, hostile input, crash and concurrency
tests, backup/restore and hardening. See docs/security.md for which test proves which control."""
