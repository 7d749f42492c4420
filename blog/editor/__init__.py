"""The editor that never loses work: drafts saved as one types, a tab that knows when another saved first."""
