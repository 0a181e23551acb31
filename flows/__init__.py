"""The framework-free core: what residents do. Inbound events in, effects out."""
