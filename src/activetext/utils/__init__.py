"""Small helpers shared by every layer: random generators, chunking and input validation."""
