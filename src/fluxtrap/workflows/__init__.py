"""Use cases: what one user action does across the store, the files and the pure packages."""
