//! Configuration from environment variables (and `.env`), validated all at once.
