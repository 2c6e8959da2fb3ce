"""Context control: compaction of a thread's model history, revert and rollback of turns."""
