//! Engine unit tests (written below).
