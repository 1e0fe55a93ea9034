"""An empty layer module for the corpus (the sample ships its OpenSearch client modules)."""
