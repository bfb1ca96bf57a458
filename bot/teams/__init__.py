"""Microsoft Teams front end (issue 14). So far it holds only how Teams message markup becomes plain text."""
