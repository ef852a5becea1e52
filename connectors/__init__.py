"""Everything that talks to Meta or Genesys: clients, signatures, translation, simulators."""
