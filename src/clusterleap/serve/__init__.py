"""The web workspace: a FastAPI application over the store (see docs/serve.md); started by ``clusterleap serve``."""
