"""The revisions, one file each, written by hand (never generated)."""
