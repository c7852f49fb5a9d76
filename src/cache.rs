//! Small bounded cache with per-entry expiry, shared by replay protection and user lookups.
