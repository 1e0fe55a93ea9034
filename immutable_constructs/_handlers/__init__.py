"""Lambda handler code shipped with the package; each subdirectory is one Lambda asset."""
