"""Developer tooling: the local run, the DynamoDB Local engine, and readers of template.yaml."""
