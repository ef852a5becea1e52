"""The Faust worker: the agents that move events between Kafka, Meta and Genesys."""
