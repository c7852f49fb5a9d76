//! The command language: text typed after `/zoom` → a typed meeting request (pure, no I/O).
