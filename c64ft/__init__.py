"""The `c64ft` command line."""
