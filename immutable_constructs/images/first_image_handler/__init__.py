"""FirstImage handler: builds, tests, scans and promotes a pipeline's first image during the deploy."""
