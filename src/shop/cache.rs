//! A Redis-style cache in front of the catalog (owned by the engine work).
