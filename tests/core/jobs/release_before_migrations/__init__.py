"""A job database made as the release before migrations made it (`create_all`, no revision)."""
