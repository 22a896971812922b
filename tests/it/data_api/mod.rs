//! The Data API client against the fake Lever: each client method's request, the fake's
//! answer in Lever's shape, and the typed result.

mod reads;
