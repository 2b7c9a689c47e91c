"""File I/O: atomic writes and the versioned HDF5 graph format."""
