//! Cross-service tests of the shop.
