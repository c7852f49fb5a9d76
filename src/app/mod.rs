//! App wiring: configuration → router, state, startup and graceful shutdown.
